import type { Readable, Writable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { DatabaseHandle } from '../db/database.js';
import { dependencyOrder } from './backup-rules.js';

export interface TableShape {
  name: string;
  columns: string[];
}

export interface SequenceState {
  name: string;
  /** Text, because a bigint sequence may pass 2^53. */
  lastValue: string;
  isCalled: boolean;
}

export interface Snapshot {
  migration: string | null;
  installationId: string | undefined;
  tables: TableShape[];
  sequences: SequenceState[];
}

export interface TargetState {
  migration: string | null;
  tables: TableShape[];
  /** Tables that hold at least one row. */
  nonEmpty: string[];
}

// Kysely's own bookkeeping: the restore re-creates it by migrating, so it is never copied.
const MIGRATION_TABLES = ['kysely_migration', 'kysely_migration_lock'];

/**
 * Text COPY output depends on these settings; pinning them on both sides means a dump read on
 * one server loads the same values on another (pg_dump does the same).
 */
const STABLE_SETTINGS = [
  "SET LOCAL client_encoding = 'UTF8'",
  "SET LOCAL DateStyle = 'ISO, YMD'",
  "SET LOCAL IntervalStyle = 'postgres'",
  "SET LOCAL TimeZone = 'UTC'",
  'SET LOCAL extra_float_digits = 3',
];

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Every SQL statement of backup and restore, on one connection of its own: COPY streams need a
 * raw client, and the dump's snapshot and the load's transaction live on that connection.
 */
export class BackupRepo {
  private constructor(private readonly client: pg.Client) {}

  static async connect(handle: DatabaseHandle): Promise<BackupRepo> {
    const client = handle.rawClient();
    // A connection dying mid-dump surfaces through the failing query; this keeps it from crashing.
    client.on('error', () => undefined);
    await client.connect();
    return new BackupRepo(client);
  }

  async close(): Promise<void> {
    await this.client.end();
  }

  /** One snapshot for the whole dump: every later read sees the database as of this moment. */
  async beginSnapshot(): Promise<void> {
    await this.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    for (const s of STABLE_SETTINGS) await this.client.query(s);
  }

  async beginLoad(): Promise<void> {
    await this.client.query('BEGIN');
    for (const s of STABLE_SETTINGS) await this.client.query(s);
  }

  async commit(): Promise<void> {
    await this.client.query('COMMIT');
  }

  async rollback(): Promise<void> {
    await this.client.query('ROLLBACK');
  }

  async snapshot(): Promise<Snapshot> {
    const tables = await this.tables();
    const sequences: SequenceState[] = [];
    for (const name of await this.sequenceNames()) {
      const { rows } = await this.client.query<{ last_value: string; is_called: boolean }>(
        `SELECT last_value::text AS last_value, is_called FROM ${ident(name)}`,
      );
      const row = rows[0];
      if (row) sequences.push({ name, lastValue: row.last_value, isCalled: row.is_called });
    }
    const hasInstallation = tables.some((t) => t.name === 'installation');
    const installation = hasInstallation
      ? (await this.client.query<{ id: string }>('SELECT id::text AS id FROM installation LIMIT 1')).rows[0]
      : undefined;
    return { migration: await this.migration(), installationId: installation?.id, tables, sequences };
  }

  /** The rows of one table as COPY text, streamed (never the whole table in memory). */
  copyOut(table: TableShape): Readable {
    const columns = table.columns.map(ident).join(', ');
    return this.client.query(copyTo(`COPY ${ident(table.name)} (${columns}) TO STDOUT`));
  }

  async targetState(): Promise<TargetState> {
    const tables = await this.tables();
    const nonEmpty: string[] = [];
    for (const t of tables) {
      const { rows } = await this.client.query<{ any: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM ${ident(t.name)}) AS any`,
      );
      if (rows[0]?.any) nonEmpty.push(t.name);
    }
    return { migration: await this.migration(), tables, nonEmpty };
  }

  /** Empties the given tables inside the load's transaction, so a failed load brings them back. */
  async truncate(tables: string[]): Promise<void> {
    if (tables.length === 0) return;
    await this.client.query(`TRUNCATE ${tables.map(ident).join(', ')} RESTART IDENTITY CASCADE`);
  }

  copyIn(table: TableShape): Writable & { rowCount: number } {
    const columns = table.columns.map(ident).join(', ');
    return this.client.query(copyFrom(`COPY ${ident(table.name)} (${columns}) FROM STDIN`));
  }

  async setSequence(s: SequenceState): Promise<void> {
    await this.client.query('SELECT setval($1::regclass, $2::bigint, $3)', [
      ident(s.name),
      s.lastValue,
      s.isCalled,
    ]);
  }

  private async migration(): Promise<string | null> {
    const { rows } = await this.client.query<{ present: boolean }>(
      "SELECT to_regclass('kysely_migration') IS NOT NULL AS present",
    );
    if (!rows[0]?.present) return null;
    const last = await this.client.query<{ name: string }>(
      'SELECT name FROM kysely_migration ORDER BY name DESC LIMIT 1',
    );
    return last.rows[0]?.name ?? null;
  }

  /** Porthole's tables in the current schema, parents before children, with their stored columns. */
  private async tables(): Promise<TableShape[]> {
    const { rows: columns } = await this.client.query<{ table: string; column: string }>(
      `SELECT c.relname AS table, a.attname AS column
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
          AND c.relname <> ALL ($1::text[])
        ORDER BY c.relname, a.attnum`,
      [MIGRATION_TABLES],
    );
    const byTable = new Map<string, string[]>();
    for (const { table, column } of columns) byTable.set(table, [...(byTable.get(table) ?? []), column]);
    const { rows: references } = await this.client.query<{ child: string; parent: string }>(
      `SELECT child.relname AS child, parent.relname AS parent
         FROM pg_constraint k
         JOIN pg_class child ON child.oid = k.conrelid
         JOIN pg_class parent ON parent.oid = k.confrelid
         JOIN pg_namespace n ON n.oid = child.relnamespace
        WHERE k.contype = 'f' AND n.nspname = current_schema()`,
    );
    return dependencyOrder([...byTable.keys()], references).map((name) => ({
      name,
      columns: byTable.get(name) ?? [],
    }));
  }

  private async sequenceNames(): Promise<string[]> {
    const { rows } = await this.client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'S' AND n.nspname = current_schema() ORDER BY c.relname`,
    );
    return rows.map((r) => r.name);
  }
}
