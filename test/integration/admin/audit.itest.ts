import type { AdminUserView, AuditEntryView, AuditPage, ZoneView } from '@porthole/contracts';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditRepo } from '../../../packages/server/src/audit/audit-repo.js';
import { AuditService } from '../../../packages/server/src/audit/audit-service.js';
import { ManualClock } from '../../../packages/server/src/platform/clock.js';
import { SystemSettingsRepo } from '../../../packages/server/src/system-settings/system-settings-repo.js';
import { ApiClient } from '../../support/http.js';
import { adminClient, createTestDatabase, startTestServer, type TestServer } from './support.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let t: TestServer;
let admin: ApiClient;
let raw: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase('admin_audit');
  t = await startTestServer(db.url);
  admin = await adminClient(t.server);
  raw = new pg.Client({ connectionString: db.url });
  await raw.connect();
});
afterAll(async () => {
  await raw?.end();
  await t?.stop();
  await db?.drop();
});

const page = async (query: string) => {
  const r = await admin.get<AuditPage>(`/api/admin/audit${query}`);
  expect(r.status, r.text).toBe(200);
  return r.body;
};

/** RFC 4180, enough for the export: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else field += c;
  }
  return rows;
}

describe('the audit log', () => {
  const password = 'first-secret-pass-1';
  const newPassword = 'second-secret-pass-2';
  let userId = '';

  it('records an admin change with actor, address, action, resource and a diff free of secrets', async () => {
    const created = await admin.expect<AdminUserView>(201, 'POST', '/api/admin/users', {
      username: 'audited@example.com',
      password,
    });
    userId = created.id;
    await admin.expect(200, 'PATCH', `/api/admin/users/${userId}`, {
      displayName: 'Audited',
      password: newPassword,
    });
    const { items } = await page(`?resourceType=user&resourceId=${userId}`);
    expect(items.map((e) => e.action)).toEqual(['user.update', 'user.create']);
    const [update] = items as [AuditEntryView];
    expect(update.actor).toMatchObject({ type: 'user', name: 'admin@porthole.local' });
    expect(update.actor.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(update.address).toBe('127.0.0.1');
    expect(Date.now() - new Date(update.at).getTime()).toBeLessThan(60_000);
    expect(update.diff).toEqual({
      displayName: { before: '', after: 'Audited' },
      password: { before: '[redacted]', after: '[redacted]' },
    });

    const hash = (await raw.query('SELECT password_hash FROM users WHERE id = $1', [userId])).rows[0]
      .password_hash as string;
    const stored = JSON.stringify((await raw.query('SELECT * FROM audit_log')).rows);
    for (const secret of [password, newPassword, hash, hash.split('$').at(-1) ?? hash]) {
      expect(stored).not.toContain(secret);
    }
  });

  it('records a failed sign-in with the name tried, the address and the reason, never the password', async () => {
    const stranger = new ApiClient(t.server.url);
    expect((await stranger.login('audited@example.com', 'wrong-password-xyz')).status).toBe(401);
    expect((await stranger.login('nobody@example.com', 'wrong-password-xyz')).status).toBe(401);
    const { items } = await page('?action=auth.sign_in_failed');
    expect(items.map((e) => e.details)).toEqual([
      { username: 'nobody@example.com', reason: 'unknown user' },
      { username: 'audited@example.com', reason: 'wrong password' },
    ]);
    expect(items[1]).toMatchObject({
      actor: { type: 'anonymous', id: null, name: 'audited@example.com' },
      address: '127.0.0.1',
      resourceType: 'user',
      resourceId: userId,
    });
    const stored = JSON.stringify((await raw.query('SELECT * FROM audit_log')).rows);
    expect(stored).not.toContain('wrong-password-xyz');
    expect((await page('?action=auth.sign_in')).items.length).toBeGreaterThan(0);
  });

  it('filters by actor, action, resource and time, newest first, in pages', async () => {
    for (const name of ['zone-a', 'zone-b', 'zone-c']) {
      await admin.expect(201, 'POST', '/api/admin/zones', { name });
    }
    const zones = await page('?action=zone.create');
    expect(zones.items.map((e) => e.diff.name?.after)).toEqual(['zone-c', 'zone-b', 'zone-a']);
    const first = await page('?action=zone.create&limit=2');
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await page(`?action=zone.create&limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((e) => e.diff.name?.after)).toEqual(['zone-a']);
    expect(second.nextCursor).toBeNull();

    const byActor = await page('?actor=admin@porthole.local&resourceType=zone');
    expect(byActor.items).toHaveLength(3);
    expect((await page('?actor=someone-else&resourceType=zone')).items).toHaveLength(0);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await page(`?since=${encodeURIComponent(future)}`)).items).toHaveLength(0);
    expect((await page(`?until=${encodeURIComponent(future)}&action=zone.create`)).items).toHaveLength(3);
    expect((await admin.get('/api/admin/audit?limit=0')).status).toBe(400);
    expect((await admin.get('/api/admin/audit?cursor=nonsense')).status).toBe(400);
  });

  it('exports the same filters as CSV that parses back', async () => {
    const r = await admin.get('/api/admin/audit.csv?resourceType=zone');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/csv/);
    expect(r.headers['content-disposition']).toMatch(/attachment/);
    const [header, ...rows] = parseCsv(r.text);
    expect(header).toEqual([
      'id',
      'at',
      'actor_type',
      'actor_id',
      'actor_name',
      'address',
      'action',
      'resource_type',
      'resource_id',
      'diff',
      'details',
    ]);
    expect(rows).toHaveLength(3);
    const diffs = rows.map((row) => JSON.parse(row[9] ?? '{}') as Record<string, { after: unknown }>);
    expect(diffs.map((d) => d.name?.after)).toEqual(['zone-c', 'zone-b', 'zone-a']);
  });

  it('rolls the change back when its audit entry cannot be written', async () => {
    await raw.query(`CREATE FUNCTION refuse_zone_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.action = 'zone.create' THEN RAISE EXCEPTION 'audit refused'; END IF; RETURN NEW; END $$`);
    await raw.query(`CREATE TRIGGER refuse_zone_audit BEFORE INSERT ON audit_log
      FOR EACH ROW EXECUTE FUNCTION refuse_zone_audit()`);
    try {
      const r = await admin.post('/api/admin/zones', { name: 'never-there' });
      expect(r.status).toBe(500);
      const zones = await admin.expect<{ items: ZoneView[] }>(200, 'GET', '/api/admin/zones');
      expect(zones.items.map((z) => z.name)).not.toContain('never-there');
    } finally {
      await raw.query('DROP TRIGGER refuse_zone_audit ON audit_log');
      await raw.query('DROP FUNCTION refuse_zone_audit()');
    }
  });

  it('keeps entries for the retention period (an audited setting) and purges only older ones', async () => {
    expect((await admin.get('/api/admin/audit/settings')).body).toEqual({ retentionDays: 365 });
    await admin.expect(200, 'PATCH', '/api/admin/audit/settings', { retentionDays: 30 });
    const [change] = (await page('?action=system_settings.update')).items;
    expect(change?.diff).toEqual({ retentionDays: { before: 365, after: 30 } });
    expect((await admin.patch('/api/admin/audit/settings', { retentionDays: 0 })).status).toBe(400);

    const now = new Date('2031-06-01T00:00:00Z');
    const insert = (at: Date, id: string) =>
      raw.query(
        `INSERT INTO audit_log (at, actor_type, action, resource_type, resource_id)
         VALUES ($1, 'system', 'zone.update', 'zone', $2)`,
        [at, id],
      );
    await insert(new Date(now.getTime() - 31 * 86_400_000), 'old');
    await insert(new Date(now.getTime() - 29 * 86_400_000), 'recent');
    const kdb = t.server.database.db;
    const service = new AuditService({
      audit: new AuditRepo(kdb),
      settings: new SystemSettingsRepo(kdb),
      clock: new ManualClock(now),
    });
    const purged = await service.purge();
    // Everything this test run wrote is "now" (2026) and so also older than 30 days in 2031.
    expect(purged).toBeGreaterThan(1);
    const left = await raw.query('SELECT resource_id FROM audit_log');
    expect(left.rows.map((r) => r.resource_id)).toEqual(['recent']);
  });
});
