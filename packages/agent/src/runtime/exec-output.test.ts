import { describe, expect, it } from 'vitest';
import { ExecOutputCollector } from './exec-output.js';

const frame = (stream: number, text: string) => {
  const body = Buffer.from(text);
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
};

describe('ExecOutputCollector', () => {
  it('demuxes frames split at every byte boundary', () => {
    const all = Buffer.concat([frame(1, 'hello '), frame(2, 'err '), frame(1, 'world')]);
    for (let cut = 0; cut <= all.length; cut++) {
      const c = new ExecOutputCollector(1024);
      c.push(all.subarray(0, cut));
      c.push(all.subarray(cut));
      expect(c.text()).toBe('hello err world');
      expect(c.truncated).toBe(false);
    }
  });

  it('bounds what it keeps', () => {
    const c = new ExecOutputCollector(4);
    c.push(frame(1, 'abcdef'));
    c.push(frame(1, 'gh'));
    expect(c.text()).toBe('abcd');
    expect(c.truncated).toBe(true);
  });
});
