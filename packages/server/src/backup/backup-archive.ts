import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { z } from 'zod';

/**
 * The backup file: gzip around a stream of frames, so a dump of any size streams through without
 * being held in memory and without knowing a part's length before it is written.
 *
 *   file    = gzip( MAGIC frame* )
 *   MAGIC   = the 8 bytes "PHBACKUP"
 *   frame   = type (1 byte) length (uint32 big-endian) payload (length bytes)
 *   'M'     manifest, JSON; always the first frame
 *   'P'     start of a part, JSON header ({kind:'table',name,columns} | {kind:'file',path,mode})
 *   'D'     a chunk of the current part's bytes (COPY text rows, or a file's content)
 *   'E'     end of the part, JSON {bytes, sha256} of the part's bytes
 *   'Z'     trailer, JSON {parts, sha256}: sha256 of every uncompressed byte before this frame
 *
 * Nothing after 'Z' is allowed. A reader that reaches the end without 'Z' knows the file was cut.
 */
export const BACKUP_FORMAT = 1;
const MAGIC = Buffer.from('PHBACKUP', 'ascii');
const MAX_FRAME = 16 * 1024 * 1024;
const CHUNK = 1024 * 1024;

export class BackupFormatError extends Error {}

export const manifestSchema = z.object({
  format: z.number().int(),
  portholeVersion: z.string(),
  createdAt: z.string(),
  /** The last applied migration (`kysely_migration`) the rows belong to. */
  migration: z.string(),
  installationId: z.string(),
  tables: z.array(z.object({ name: z.string(), columns: z.array(z.string()) })),
  sequences: z.array(z.object({ name: z.string(), lastValue: z.string(), isCalled: z.boolean() })),
  files: z.array(z.object({ path: z.string(), mode: z.number().int() })),
});
export type Manifest = z.infer<typeof manifestSchema>;

const partHeaderSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('table'), name: z.string(), columns: z.array(z.string()) }),
  z.object({ kind: z.literal('file'), path: z.string(), mode: z.number().int() }),
]);
export type PartHeader = z.infer<typeof partHeaderSchema>;
const partEndSchema = z.object({ bytes: z.number().int(), sha256: z.string() });
const trailerSchema = z.object({ parts: z.number().int(), sha256: z.string() });

/** Writes the frames to `out` (the gzip stream), waiting on backpressure. */
export class ArchiveWriter {
  private readonly total = createHash('sha256');
  private part: { hash: Hash; bytes: number } | undefined;
  private parts = 0;

  private constructor(private readonly out: Writable) {}

  static async start(out: Writable, manifest: Manifest): Promise<ArchiveWriter> {
    const w = new ArchiveWriter(out);
    await w.raw(MAGIC);
    await w.frame('M', Buffer.from(JSON.stringify(manifest)));
    return w;
  }

  async beginPart(header: PartHeader): Promise<void> {
    if (this.part) throw new Error('a part is still open');
    await this.frame('P', Buffer.from(JSON.stringify(header)));
    this.part = { hash: createHash('sha256'), bytes: 0 };
  }

  async data(chunk: Buffer): Promise<void> {
    const part = this.part;
    if (!part) throw new Error('no part is open');
    for (let at = 0; at < chunk.length; at += CHUNK) {
      const piece = chunk.subarray(at, at + CHUNK);
      part.hash.update(piece);
      part.bytes += piece.length;
      await this.frame('D', piece);
    }
  }

  async endPart(): Promise<void> {
    const part = this.part;
    if (!part) throw new Error('no part is open');
    this.part = undefined;
    this.parts += 1;
    await this.frame(
      'E',
      Buffer.from(JSON.stringify({ bytes: part.bytes, sha256: part.hash.digest('hex') })),
    );
  }

  /** Writes the trailer; the caller ends the stream. */
  async finish(): Promise<void> {
    if (this.part) throw new Error('a part is still open');
    const trailer = { parts: this.parts, sha256: this.total.digest('hex') };
    const payload = Buffer.from(JSON.stringify(trailer));
    // The trailer is outside the whole-file checksum it carries.
    await this.write(Buffer.concat([frameHead('Z', payload.length), payload]));
  }

  private async frame(type: string, payload: Buffer): Promise<void> {
    await this.raw(Buffer.concat([frameHead(type, payload.length), payload]));
  }

  private async raw(bytes: Buffer): Promise<void> {
    this.total.update(bytes);
    await this.write(bytes);
  }

  private async write(bytes: Buffer): Promise<void> {
    if (!this.out.write(bytes)) await once(this.out, 'drain');
  }
}

function frameHead(type: string, length: number): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'ascii');
  head.writeUInt32BE(length, 1);
  return head;
}

/** Pulls exact byte counts out of a chunked stream. */
class ByteReader {
  private buffered: Buffer[] = [];
  private size = 0;
  private done = false;
  private readonly chunks: AsyncIterator<Buffer>;

  constructor(input: Readable) {
    this.chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** `n` bytes, or null at a clean end before the first of them; a partial read is a truncation. */
  async read(n: number): Promise<Buffer | null> {
    while (this.size < n && !this.done) {
      let next: IteratorResult<Buffer>;
      try {
        next = await this.chunks.next();
      } catch (err) {
        throw explainStreamError(err);
      }
      if (next.done) this.done = true;
      else {
        this.buffered.push(next.value);
        this.size += next.value.length;
      }
    }
    if (this.size === 0 && n > 0) return null;
    if (this.size < n) throw truncated();
    const all = this.buffered.length === 1 ? (this.buffered[0] as Buffer) : Buffer.concat(this.buffered);
    this.buffered = all.length > n ? [all.subarray(n)] : [];
    this.size = all.length - n;
    return all.subarray(0, n);
  }
}

const truncated = () => new BackupFormatError('the backup file is truncated (it ends before its trailer)');

function explainStreamError(err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'Z_BUF_ERROR') return truncated();
  if (code === 'Z_DATA_ERROR')
    return new BackupFormatError('not a Porthole backup (not gzip data, or damaged)');
  return err instanceof Error ? err : new Error(String(err));
}

export interface ArchivePart {
  header: PartHeader;
  /** The part's bytes; throws at its end when they do not match the part's checksum. */
  data: AsyncIterable<Buffer>;
}

/**
 * Reads a backup (the gunzipped stream): the manifest first, then the parts in order. Each part's
 * data must be consumed before the next part is asked for. Every checksum is checked as its
 * frame arrives; the whole-file one when `parts` ends, so a consumer that commits only after the
 * loop finishes never commits a truncated or altered file.
 */
export class ArchiveReader {
  private readonly total = createHash('sha256');
  private readonly bytes: ByteReader;
  private manifestRead: Manifest | undefined;

  constructor(input: Readable) {
    this.bytes = new ByteReader(input);
  }

  async manifest(): Promise<Manifest> {
    if (this.manifestRead) return this.manifestRead;
    const magic = await this.bytes.read(MAGIC.length).catch((err: unknown) => {
      // A file too short for the magic is as foreign as one with the wrong magic.
      if (err instanceof BackupFormatError && err.message.includes('truncated')) throw notOurs();
      throw err;
    });
    if (!magic?.equals(MAGIC)) throw notOurs();
    this.total.update(magic);
    const frame = await this.frame();
    if (frame.type !== 'M') throw new BackupFormatError('damaged backup: no manifest');
    const json = parseJson(frame.payload, 'manifest');
    const format = (json as { format?: unknown } | null)?.format;
    if (format !== BACKUP_FORMAT)
      throw new BackupFormatError(
        `unsupported backup format ${JSON.stringify(format)} (this Porthole reads format ${BACKUP_FORMAT})`,
      );
    const parsed = manifestSchema.safeParse(json);
    if (!parsed.success) throw new BackupFormatError('damaged backup: the manifest is incomplete');
    this.manifestRead = parsed.data;
    return parsed.data;
  }

  async *parts(): AsyncGenerator<ArchivePart> {
    await this.manifest();
    let count = 0;
    for (;;) {
      const frame = await this.frame();
      if (frame.type === 'Z') {
        const trailer = trailerSchema.safeParse(parseJson(frame.payload, 'trailer'));
        if (!trailer.success) throw new BackupFormatError('damaged backup: bad trailer');
        if (trailer.data.sha256 !== frame.hashBefore || trailer.data.parts !== count)
          throw new BackupFormatError('checksum mismatch: the backup file was altered or damaged');
        if ((await this.bytes.read(1)) !== null)
          throw new BackupFormatError('damaged backup: data after the trailer');
        return;
      }
      if (frame.type !== 'P') throw new BackupFormatError(`damaged backup: unexpected frame '${frame.type}'`);
      const header = partHeaderSchema.safeParse(parseJson(frame.payload, 'part header'));
      if (!header.success) throw new BackupFormatError('damaged backup: bad part header');
      let consumed = false;
      const data = this.partData(header.data, () => {
        consumed = true;
      });
      yield { header: header.data, data };
      if (!consumed) for await (const _ of data); // a consumer that skipped the data still gets it checked
      count += 1;
    }
  }

  private async *partData(header: PartHeader, onEnd: () => void): AsyncGenerator<Buffer> {
    const hash = createHash('sha256');
    let bytes = 0;
    for (;;) {
      const frame = await this.frame();
      if (frame.type === 'D') {
        hash.update(frame.payload);
        bytes += frame.payload.length;
        yield frame.payload;
        continue;
      }
      if (frame.type !== 'E') throw new BackupFormatError(`damaged backup: unexpected frame '${frame.type}'`);
      const end = partEndSchema.safeParse(parseJson(frame.payload, 'part end'));
      const name = header.kind === 'table' ? `table ${header.name}` : `file ${header.path}`;
      if (!end.success || end.data.bytes !== bytes || end.data.sha256 !== hash.digest('hex'))
        throw new BackupFormatError(`checksum mismatch in ${name}: the backup file was altered or damaged`);
      onEnd();
      return;
    }
  }

  private async frame(): Promise<{ type: string; payload: Buffer; hashBefore: string }> {
    const hashBefore = this.total.copy().digest('hex');
    const head = await this.bytes.read(5);
    if (!head) throw truncated();
    const type = String.fromCharCode(head[0] as number);
    const length = head.readUInt32BE(1);
    if (length > MAX_FRAME || !'MPDEZ'.includes(type))
      throw new BackupFormatError('damaged backup: bad frame header');
    const payload = length === 0 ? Buffer.alloc(0) : await this.bytes.read(length);
    if (!payload) throw truncated();
    this.total.update(head);
    this.total.update(payload);
    return { type, payload, hashBefore };
  }
}

const notOurs = () => new BackupFormatError('not a Porthole backup');

function parseJson(payload: Buffer, what: string): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    throw new BackupFormatError(`damaged backup: the ${what} is not JSON`);
  }
}
