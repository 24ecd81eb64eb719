/**
 * Splits a newline-delimited JSON byte stream into objects. Docker's progress and event streams are
 * NDJSON, but chunk boundaries fall anywhere, including inside multi-byte characters.
 */
export class JsonLineSplitter {
  private pending = '';
  private readonly decoder = new TextDecoder();

  /** Returns the complete objects in this chunk; lines that are not JSON are reported as strings. */
  push(chunk: Buffer | string): Array<Record<string, unknown> | string> {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: Array<Record<string, unknown> | string> = [];
    let newline = this.pending.indexOf('\n');
    while (newline >= 0) {
      const line = this.pending.slice(0, newline).trim();
      this.pending = this.pending.slice(newline + 1);
      if (line !== '') out.push(parseLine(line));
      newline = this.pending.indexOf('\n');
    }
    return out;
  }

  /** Whatever is left when the stream ends without a final newline. */
  flush(): Array<Record<string, unknown> | string> {
    const line = (this.pending + this.decoder.decode()).trim();
    this.pending = '';
    return line === '' ? [] : [parseLine(line)];
  }
}

function parseLine(line: string): Record<string, unknown> | string {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : line;
  } catch {
    return line;
  }
}
