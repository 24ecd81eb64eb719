import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { expect } from 'vitest';
import {
  ArchiveReader,
  ArchiveWriter,
  type Manifest,
  type PartHeader,
} from '../../../packages/server/src/backup/backup-archive.js';
import { ApiClient } from '../../support/http.js';
import { type CliResult, logLines, PortholeProcess } from '../support/cli.js';

/** `porthole up` as a person runs it, without the image builds (they belong to the images tier). */
export async function up(dataDir: string, env: Record<string, string> = {}) {
  const started = await PortholeProcess.start(['up', '--data-dir', dataDir, '--port', '0'], {
    env: { PORTHOLE_BUILD_IMAGES: 'false', ...env },
  });
  // `porthole is up` comes before the local agent has saved its identity, which a backup carries.
  const deadline = Date.now() + 60_000;
  while (!logLines(started.proc.stdout).some((l) => l.msg === 'local agent running')) {
    if (Date.now() > deadline) throw new Error(`the local agent did not start:\n${started.proc.tail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const ca = await readFile(join(dataDir, 'tls-cert.pem'), 'utf8');
  return { ...started, ca, browser: () => new ApiClient(started.url, { ca }) };
}

export async function stop(proc: PortholeProcess): Promise<void> {
  const result = await proc.terminate();
  expect(result, `porthole up did not stop cleanly:\n${proc.tail()}`).toEqual({ code: 0, signal: null });
}

/** One line on stderr, no stack trace, the given status. */
export function expectOneLineFailure(r: CliResult, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr + r.stdout).not.toMatch(/ {4}at /);
}

export async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

/** What a restored installation must give back: users (by name), workspaces (by name). */
export async function contentsOf(admin: ApiClient): Promise<{ users: string[]; images: string[] }> {
  const users = await admin.expect<{ items: Array<{ username: string }> }>(200, 'GET', '/api/admin/users');
  const images = await admin.expect<{ items: Array<{ name: string }> }>(200, 'GET', '/api/admin/images');
  return {
    users: users.items.map((u) => u.username).sort(),
    images: images.items.map((i) => i.name).sort(),
  };
}

/** Gives an installation something of its own to back up: a user with a password and a workspace. */
export async function populate(admin: ApiClient, tag: string): Promise<void> {
  await admin.expect(201, 'POST', '/api/admin/users', {
    username: `${tag}@example.com`,
    password: `${tag}-password-1`,
  });
  await admin.expect(201, 'POST', '/api/admin/images', {
    name: `${tag}-workspace`,
    friendlyName: `Workspace of ${tag}`,
    dockerImage: `example/${tag}:1`,
    cores: 1,
    memoryMb: 512,
  });
}

/**
 * Rewrites a backup through the real reader and writer, so its checksums are right for whatever
 * `edit` changed: a well-formed file that says something the restore must refuse.
 */
export async function rewriteBackup(
  from: string,
  to: string,
  edit: { manifest?: (m: Manifest) => Manifest; data?: (h: PartHeader, data: Buffer) => Buffer },
): Promise<void> {
  const gunzip = createGunzip();
  createReadStream(from).pipe(gunzip);
  const reader = new ArchiveReader(gunzip);
  const manifest = await reader.manifest();
  const gzip = createGzip();
  const written = pipeline(gzip, createWriteStream(to, { mode: 0o600 }));
  const writer = await ArchiveWriter.start(gzip, edit.manifest ? edit.manifest(manifest) : manifest);
  for await (const part of reader.parts()) {
    const chunks: Buffer[] = [];
    for await (const c of part.data) chunks.push(c);
    await writer.beginPart(part.header);
    const data = Buffer.concat(chunks);
    await writer.data(edit.data ? edit.data(part.header, data) : data);
    await writer.endPart();
  }
  await writer.finish();
  gzip.end();
  await written;
}
