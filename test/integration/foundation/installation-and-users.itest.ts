import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { argon2Hasher, prepareDatabase, systemContext, UserAdminService } from '@porthole/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AttemptLimiter } from '../../../packages/server/src/auth/attempt-limiter.js';
import { AuthService } from '../../../packages/server/src/auth/auth-service.js';
import { AuthSessionRepo } from '../../../packages/server/src/auth/auth-session-repo.js';
import { type DatabaseHandle, openDatabase } from '../../../packages/server/src/db/database.js';
import { ManualClock } from '../../../packages/server/src/platform/clock.js';
import { sha256 } from '../../../packages/server/src/platform/crypto.js';
import { UserRepo } from '../../../packages/server/src/users/user-repo.js';
import { type Backend, backendNames, openBackend, silentLogger } from '../support/backends.js';
import { query } from '../support/database.js';
import { TempDirs } from '../support/temp.js';

const cli = systemContext('test');

const ADMIN = 'admin@porthole.local';

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe.each(backendNames)(
  'installation, users and sign-in sessions on the %s PostgreSQL server',
  (name) => {
    let backend: Backend;
    let installationId: string;
    const temps = new TempDirs();
    const handles: DatabaseHandle[] = [];
    const open = (url: string) => {
      const h = openDatabase(url, silentLogger, 3);
      handles.push(h);
      return h;
    };

    beforeAll(async () => {
      backend = await openBackend(name);
      const dataDir = await temps.make();
      ({ installationId } = await prepareDatabase(
        backend.main.db,
        { dataDir, adminPassword: 'first-admin-pass' },
        silentLogger,
      ));
    });
    afterAll(async () => {
      await Promise.all(handles.map((h) => h.close()));
      await backend?.close();
      await temps.cleanup();
    });

    it('bootstraps once under concurrency: one installation, two system groups, one admin, one announcement', async () => {
      const db = await backend.fresh();
      const dataDir = await temps.make();
      const printed: string[] = [];
      const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        printed.push(String(chunk));
        return true;
      });
      let results: Awaited<ReturnType<typeof prepareDatabase>>[];
      try {
        results = await Promise.all([
          prepareDatabase(open(db.url).db, { dataDir }, silentLogger),
          prepareDatabase(open(db.url).db, { dataDir }, silentLogger),
        ]);
      } finally {
        write.mockRestore();
      }
      const [a, b] = results;
      expect(a?.installationId).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(b?.installationId).toBe(a?.installationId);
      const firsts = results.filter((r) => r.firstStart);
      expect(firsts).toHaveLength(1);
      const password = firsts[0]?.firstStart?.generatedPassword ?? '';
      expect(password.length).toBeGreaterThanOrEqual(16);

      expect(await query(db.url, 'select id from installation')).toEqual([{ id: a?.installationId }]);
      const groups = await query(
        db.url,
        'select name, system_role from groups where system_role is not null order by name',
      );
      expect(groups).toEqual([
        { name: 'Administrators', system_role: 'administrators' },
        { name: 'All Users', system_role: 'all_users' },
      ]);
      const admins = await query<{ password_hash: string; groups: string[] }>(
        db.url,
        `select u.password_hash, array(select g.name from group_members m join groups g on g.id = m.group_id
         where m.user_id = u.id order by g.name) as groups
       from users u where u.username = $1`,
        [ADMIN],
      );
      expect(admins).toHaveLength(1);
      expect(admins[0]?.groups).toEqual(['Administrators', 'All Users']);
      expect(admins[0]?.password_hash).toMatch(/^\$argon2id\$/);
      expect(await argon2Hasher.verify(admins[0]?.password_hash ?? '', password)).toBe(true);

      // Printed once, and written once to a file only its owner can read.
      expect(printed.join('').split(password)).toHaveLength(2);
      const file = join(dataDir, 'initial-admin-password');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(await readFile(file, 'utf8')).toBe(`${password}\n`);

      // Later starts read the same id and announce nothing.
      const again = await prepareDatabase(open(db.url).db, { dataDir }, silentLogger);
      expect(again).toEqual({ installationId: a?.installationId });
      expect((await query(db.url, 'select count(*)::int as n from users'))[0]).toEqual({ n: 1 });
    });

    it('takes the first admin password from PORTHOLE_ADMIN_PASSWORD and writes no file', async () => {
      const db = await backend.fresh();
      const dataDir = await temps.make();
      const r = await prepareDatabase(
        open(db.url).db,
        { dataDir, adminPassword: 'chosen-password' },
        silentLogger,
      );
      expect(r.firstStart).toEqual({ adminUsername: ADMIN });
      await expect(stat(join(dataDir, 'initial-admin-password'))).rejects.toThrow(/ENOENT/);
      const [row] = await query<{ password_hash: string }>(
        db.url,
        'select password_hash from users where username = $1',
        [ADMIN],
      );
      expect(await argon2Hasher.verify(row?.password_hash ?? '', 'chosen-password')).toBe(true);
    });

    it('gives every database its own installation id', async () => {
      const db = await backend.fresh();
      const other = await prepareDatabase(
        open(db.url).db,
        { dataDir: await temps.make(), adminPassword: 'pass-1234' },
        silentLogger,
      );
      expect(other.installationId).not.toBe(installationId);
    });

    it('creates users, refuses duplicates whatever the case, and resets passwords', async () => {
      const users = new UserAdminService(new UserRepo(backend.main.db), argon2Hasher);
      const repo = new UserRepo(backend.main.db);
      const id = await users.create({ username: 'eve@example.com', password: 'eve-password-1' }, cli);
      const adminId = await users.create(
        {
          username: 'root@example.com',
          password: 'root-password',
          admin: true,
        },
        cli,
      );
      expect((await users.get(id)).isAdmin).toBe(false);
      expect((await users.get(adminId)).isAdmin).toBe(true);
      const allUsers = await repo.groupIdByRole('all_users');
      expect((await users.get(id)).groupIds).toEqual([allUsers]);

      const dup = await rejection(
        users.create({ username: 'EVE@example.com', password: 'another-pass' }, cli),
      );
      expect(dup.name).toBe('ConflictError');
      expect(dup.code).toBe('conflict');
      expect(
        (await rejection(users.create({ username: 'x@example.com', password: 'short' }, cli))).code,
      ).toBe('invalid');

      const sessions = new AuthSessionRepo(backend.main.db);
      await sessions.insert({
        tokenHash: sha256('eve-token'),
        userId: id,
        expiresAt: new Date(Date.now() + 3600_000),
        address: null,
        userAgent: null,
      });
      await users.resetPassword('Eve@Example.com', 'eve-password-2', cli);
      const hash = (await repo.findById(id))?.password_hash ?? '';
      expect(await argon2Hasher.verify(hash, 'eve-password-2')).toBe(true);
      expect(await argon2Hasher.verify(hash, 'eve-password-1')).toBe(false);
      expect(await sessions.find(sha256('eve-token'))).toBeUndefined(); // signed out everywhere
      expect((await rejection(users.resetPassword('nobody@example.com', 'whatever-1', cli))).code).toBe(
        'not_found',
      );
    });

    it('stores sign-in sessions by token hash and lets them expire', async () => {
      const clock = new ManualClock(new Date());
      const users = new UserAdminService(new UserRepo(backend.main.db), argon2Hasher);
      await users.create({ username: 'frank@example.com', password: 'frank-password' }, cli);
      const sessions = new AuthSessionRepo(backend.main.db);
      const auth = new AuthService({
        users: new UserRepo(backend.main.db),
        sessions,
        hasher: argon2Hasher,
        clock,
        sessionTtlMs: 3600_000,
        accountLimiter: new AttemptLimiter({ max: 10, windowMs: 60_000 }, clock),
        addressLimiter: new AttemptLimiter({ max: 50, windowMs: 60_000 }, clock),
      });
      const { token, user } = await auth.login(
        { username: 'frank@example.com', password: 'frank-password' },
        { address: '127.0.0.1', userAgent: 'vitest' },
      );
      const rows = await query<{ token_hash: Buffer; address: string; user_agent: string }>(
        backend.mainUrl,
        'select token_hash, address, user_agent from auth_sessions where user_id = $1',
        [user.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]?.token_hash.equals(sha256(token))).toBe(true);
      expect(JSON.stringify(rows)).not.toContain(token);
      expect(rows[0]).toMatchObject({ address: '127.0.0.1', user_agent: 'vitest' });

      expect((await auth.resolveSession(token))?.userId).toBe(user.id);
      clock.advance(3600_000);
      expect(await auth.resolveSession(token)).toBeNull();
      // The sweeper removes expired rows only.
      const live = sha256('live-token');
      await sessions.insert({
        tokenHash: live,
        userId: user.id,
        expiresAt: new Date(clock.now().getTime() + 60_000),
        address: null,
        userAgent: null,
      });
      expect(await sessions.deleteExpired(clock.now())).toBeGreaterThanOrEqual(1);
      expect(await sessions.find(sha256(token))).toBeUndefined();
      expect(await sessions.find(live)).toMatchObject({ user_id: user.id });
      await auth.logout('live-token');
      expect(await sessions.find(live)).toBeUndefined();
    });
  },
);
