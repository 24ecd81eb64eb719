import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { followStream, parseMessage, type StreamMessage } from './docker-stream.js';

describe('parseMessage', () => {
  it('reads build output, aux ids and errors', () => {
    expect(parseMessage('{"stream":"Step 1/2 : FROM x\\n"}')).toEqual({ stream: 'Step 1/2 : FROM x\n' });
    expect(parseMessage('{"aux":{"ID":"sha256:abc"}}')).toEqual({ auxId: 'sha256:abc' });
    expect(parseMessage('{"errorDetail":{"message":"boom"}}')).toEqual({ error: 'boom' });
    expect(parseMessage('not json')).toBeUndefined();
  });
});

describe('followStream', () => {
  it('handles messages split across chunks and rejects on an in-band error', async () => {
    const stream = new PassThrough();
    const seen: StreamMessage[] = [];
    const done = followStream(stream, (m) => seen.push(m));
    stream.write('{"stream":"a"}\n{"str');
    stream.write('eam":"b"}\n');
    stream.end('{"error":"failed to build"}\n');
    await expect(done).rejects.toThrow('failed to build');
    expect(seen).toEqual([{ stream: 'a' }, { stream: 'b' }]);
  });

  it('resolves at the end of a clean stream, last line without newline included', async () => {
    const stream = new PassThrough();
    const seen: StreamMessage[] = [];
    const done = followStream(stream, (m) => seen.push(m));
    stream.end('{"status":"done"}');
    await done;
    expect(seen).toEqual([{ status: 'done' }]);
  });
});
