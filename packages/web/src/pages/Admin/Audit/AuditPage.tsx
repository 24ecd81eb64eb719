import { useState } from 'react';
import {
  type AuditFilter,
  auditCsvUrl,
  useAuditEntries,
  useAuditSettings,
  useUpdateAuditSettings,
} from '../../../api/audit';
import { AuditPageView } from './AuditPageView';

/** The Audit tab's state and queries; AuditPageView draws them. */
export function AuditPage() {
  const [filter, setFilter] = useState<AuditFilter>({});
  // The cursors of the pages before this one, so "Newer" can go back without a reverse query.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1) ?? null;
  const { entries, nextCursor } = useAuditEntries(filter, cursor);
  const settings = useAuditSettings();
  const updateSettings = useUpdateAuditSettings();
  return (
    <AuditPageView
      filter={filter}
      onFilter={(next) => {
        setFilter(next);
        setCursors([]);
      }}
      entries={entries}
      csvUrl={auditCsvUrl(filter)}
      onOlder={nextCursor ? () => setCursors((c) => [...c, nextCursor]) : undefined}
      onNewer={cursors.length > 0 ? () => setCursors((c) => c.slice(0, -1)) : undefined}
      retentionDays={settings.data?.retentionDays}
      onRetention={(retentionDays) => updateSettings.mutateAsync({ retentionDays })}
    />
  );
}
