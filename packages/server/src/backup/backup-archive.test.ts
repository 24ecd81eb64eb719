import { PassThrough, Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  ArchiveReader,
  ArchiveWriter,
  BACKUP_FORMAT,
  BackupFormatError,
  type Manifest,
} from './backup-archive.js';

const manifest: Manifest = {
  format: BACKUP_FORMAT,
  portholeVersion: '0.1.0',
  createdAt: '2026-01-01T00:00:00.000Z',
  migration: '0008_pending_disconnects',
  installationId: '6b0c3f9e-0000-4000-8000-000000000000',
  tables: [{ name: 'users', columns: ['id', 'username'] }],
  sequences: [{ name: 'session_events_id_seq', lastValue: '42', isCalled: true }],
  files: [{ path: 'tls-key.pem', mode: 0o600 }],
};

/** The uncompressed frame stream of a small backup. */
async function rawArchive(big = false): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const w = await ArchiveWriter.start(out, manifest);
  await w.beginPart({ kind: 'file', path: 'tls-key.pem', mode: 0o600 });
  await w.data(Buffer.from('-----BEGIN PRIVATE KEY-----\n'));
  await w.endPart();
  await w.beginPart({ kind: 'table', name: 'users', columns: ['id', 'username'] });
  await w.data(Buffer.from('1\talice\n2\tbob\n'));
  // More than one frame's worth, so a part spans several data frames.
  if (big) await w.data(Buffer.alloc(3 * 1024 * 1024 + 5, 0x61));
  await w.endPart();
  await w.finish();
  out.end();
  return Buffer.concat(chunks);
}

async function readAll(
  raw: Buffer,
): Promise<{ manifest: Manifest; parts: Array<{ name: string; data: string }> }> {
  const reader = new ArchiveReader(Readable.from([raw]));
  const m = await reader.manifest();
  const parts: Array<{ name: string; data: string }> = [];
  for await (const part of reader.parts()) {
    const chunks: Buffer[] = [];
    for await (const c of part.data) chunks.push(c);
    const name = part.header.kind === 'table' ? part.header.name : part.header.path;
    parts.push({ name, data: Buffer.concat(chunks).toString() });
  }
  return { manifest: m, parts };
}

function replaceOnce(raw: Buffer, from: string, to: string): Buffer {
  const at = raw.indexOf(from);
  expect(at).toBeGreaterThan(0);
  const copy = Buffer.from(raw);
  copy.write(to, at);
  return copy;
}

describe('backup archive', () => {
  it('reads back the manifest and every part it wrote', async () => {
    const { manifest: m, parts } = await readAll(await rawArchive());
    expect(m).toEqual(manifest);
    expect(parts).toEqual([
      { name: 'tls-key.pem', data: '-----BEGIN PRIVATE KEY-----\n' },
      { name: 'users', data: '1\talice\n2\tbob\n' },
    ]);
  });

  it('splits a large part into frames and still reads it whole', async () => {
    const { parts } = await readAll(await rawArchive(true));
    expect(parts[1]?.data.length).toBe('1\talice\n2\tbob\n'.length + 3 * 1024 * 1024 + 5);
  });

  it('survives gzip: a compressed archive reads back the same', async () => {
    const gz = gzipSync(await rawArchive());
    expect((await readAll(gunzipSync(gz))).parts).toHaveLength(2);
  });

  it("detects an altered byte in a part's data (its checksum)", async () => {
    const altered = replaceOnce(await rawArchive(), 'alice', 'alicE');
    await expect(readAll(altered)).rejects.toThrow(/checksum mismatch in table users/);
  });

  it('detects an altered manifest (the whole-file checksum)', async () => {
    const altered = replaceOnce(await rawArchive(), '"lastValue":"42"', '"lastValue":"43"');
    await expect(readAll(altered)).rejects.toThrow(/checksum mismatch: the backup file was altered/);
  });

  it('detects a file cut anywhere: in a frame, between frames, before the trailer', async () => {
    const raw = await rawArchive();
    for (const cut of [20, 60, raw.indexOf('alice') + 2, raw.length - 30, raw.length - 1]) {
      await expect(readAll(raw.subarray(0, cut)), `cut at ${cut}`).rejects.toThrow(/truncated/);
    }
  });

  it('detects a compressed file cut in half', async () => {
    const gz = gzipSync(await rawArchive(true));
    const gunzip = (await import('node:zlib')).createGunzip();
    const reader = new ArchiveReader(Readable.from([gz.subarray(0, gz.length / 2)]).pipe(gunzip));
    const readParts = async () => {
      await reader.manifest();
      for await (const part of reader.parts()) for await (const _ of part.data);
    };
    await expect(readParts()).rejects.toThrow(/truncated/);
  });

  it('rejects data after the trailer', async () => {
    const raw = Buffer.concat([await rawArchive(), Buffer.from('x')]);
    await expect(readAll(raw)).rejects.toThrow(/data after the trailer/);
  });

  it('rejects an unknown format version with a message naming both', async () => {
    const future = replaceOnce(await rawArchive(), `"format":${BACKUP_FORMAT}`, '"format":9');
    await expect(readAll(future)).rejects.toThrow(
      `unsupported backup format 9 (this Porthole reads format ${BACKUP_FORMAT})`,
    );
  });

  it('rejects a foreign file, however short', async () => {
    for (const foreign of ['{"name":"not a backup"}', 'PH', '']) {
      await expect(readAll(Buffer.from(foreign))).rejects.toThrow(BackupFormatError);
      await expect(readAll(Buffer.from(foreign))).rejects.toThrow('not a Porthole backup');
    }
  });
});
