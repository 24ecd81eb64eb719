/**
 * Collects a non-TTY exec's multiplexed output (8-byte frame headers: stream type, 3 zero bytes,
 * u32 BE length) into one bounded buffer. stdout and stderr are kept interleaved in arrival order,
 * which is what an operator reading a failed command wants.
 */
export class ExecOutputCollector {
  private readonly parts: Buffer[] = [];
  private kept = 0;
  private header = Buffer.alloc(0);
  private frameRemaining = 0;
  truncated = false;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.frameRemaining === 0) {
        const need = 8 - this.header.length;
        const take = chunk.subarray(offset, offset + need);
        this.header = Buffer.concat([this.header, take]);
        offset += take.length;
        if (this.header.length < 8) return;
        this.frameRemaining = this.header.readUInt32BE(4);
        this.header = Buffer.alloc(0);
        continue;
      }
      const take = chunk.subarray(offset, offset + this.frameRemaining);
      offset += take.length;
      this.frameRemaining -= take.length;
      this.keep(take);
    }
  }

  private keep(data: Buffer): void {
    const room = this.maxBytes - this.kept;
    if (data.length > room) this.truncated = true;
    if (room <= 0) return;
    const slice = data.length > room ? data.subarray(0, room) : data;
    // Copy: the socket may reuse its buffers.
    this.parts.push(Buffer.from(slice));
    this.kept += slice.length;
  }

  text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}
