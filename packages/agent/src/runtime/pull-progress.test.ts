import { describe, expect, it } from 'vitest';
import { JsonLineSplitter } from './json-lines.js';
import { PullProgressTracker } from './pull-progress.js';

describe('JsonLineSplitter', () => {
  it('joins objects split across chunks, including inside a multi-byte character', () => {
    const splitter = new JsonLineSplitter();
    const bytes = Buffer.from('{"a":"é"}\n{"b":2}\nnot json\n{"c"');
    const out = [
      ...splitter.push(bytes.subarray(0, 7)),
      ...splitter.push(bytes.subarray(7, 20)),
      ...splitter.push(bytes.subarray(20)),
      ...splitter.push(':3}'),
      ...splitter.flush(),
    ];
    expect(out).toEqual([{ a: 'é' }, { b: 2 }, 'not json', { c: 3 }]);
  });
});

describe('PullProgressTracker', () => {
  it('aggregates layers and bytes from a realistic pull', () => {
    const t = new PullProgressTracker();
    const feed = [
      { status: 'Pulling from library/busybox', id: 'latest' },
      { status: 'Already exists', id: 'l0' },
      { status: 'Pulling fs layer', id: 'l1', progressDetail: {} },
      { status: 'Pulling fs layer', id: 'l2', progressDetail: {} },
      { status: 'Downloading', id: 'l1', progressDetail: { current: 10, total: 100 } },
      { status: 'Downloading', id: 'l2', progressDetail: { current: 5, total: 50 } },
      { status: 'Download complete', id: 'l1' },
      { status: 'Pull complete', id: 'l1' },
      { status: 'Downloading', id: 'l2', progressDetail: { current: 50, total: 50 } },
      { status: 'Pull complete', id: 'l2' },
      { status: 'Digest: sha256:abc' },
      { status: 'Status: Downloaded newer image for busybox:latest' },
    ];
    const snapshots = feed.map((m) => t.update(m)).filter((s) => s !== null);
    expect(snapshots[0]).toEqual({ layersTotal: 1, layersDone: 1, bytesTotal: 0, bytesDone: 0 });
    expect(snapshots).toContainEqual({ layersTotal: 3, layersDone: 1, bytesTotal: 150, bytesDone: 15 });
    expect(t.snapshot()).toEqual({ layersTotal: 3, layersDone: 3, bytesTotal: 150, bytesDone: 150 });
    expect(t.error).toBeNull();
    // A repeated identical message reports nothing new.
    expect(t.update({ status: 'Pull complete', id: 'l2' })).toBeNull();
  });

  it('keeps the first error Docker sends, verbatim', () => {
    const t = new PullProgressTracker();
    t.update({ errorDetail: { message: 'manifest unknown: manifest unknown' }, error: 'x' });
    t.update({ error: 'later' });
    expect(t.error).toBe('manifest unknown: manifest unknown');
  });
});
