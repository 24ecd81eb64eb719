import type { PullProgress } from './container-runtime.js';

interface LayerState {
  done: boolean;
  bytesTotal: number;
  bytesDone: number;
}

const DONE_STATUSES = new Set(['Pull complete', 'Already exists']);

/**
 * Folds Docker's per-layer pull messages into one running total. Layer sizes are only known once a
 * layer starts downloading, so bytesTotal grows during a pull; layersTotal is exact once Docker has
 * announced every layer ("Pulling fs layer"/"Already exists"), which it does up front.
 */
export class PullProgressTracker {
  private readonly layers = new Map<string, LayerState>();
  private last = '';
  /** The first error Docker reported in the stream, verbatim. */
  error: string | null = null;

  /** Feeds one message; returns a snapshot when the totals changed, else null. */
  update(message: Record<string, unknown>): PullProgress | null {
    if (this.error === null) {
      const detail = message.errorDetail;
      const detailMessage =
        typeof detail === 'object' && detail !== null ? (detail as { message?: unknown }).message : undefined;
      if (typeof detailMessage === 'string') this.error = detailMessage;
      else if (typeof message.error === 'string') this.error = message.error;
    }
    const id = message.id;
    const status = message.status;
    if (typeof id !== 'string' || typeof status !== 'string') return null;
    // "Pulling from <repo>" carries the tag as its id; it is not a layer.
    if (status.startsWith('Pulling from')) return null;
    const layer = this.layers.get(id) ?? { done: false, bytesTotal: 0, bytesDone: 0 };
    this.layers.set(id, layer);
    if (status === 'Downloading') {
      const progress = message.progressDetail;
      if (typeof progress === 'object' && progress !== null) {
        const { current, total } = progress as { current?: unknown; total?: unknown };
        if (typeof total === 'number' && total > 0) layer.bytesTotal = total;
        if (typeof current === 'number') layer.bytesDone = Math.min(current, layer.bytesTotal || current);
      }
    } else if (status === 'Download complete' || status === 'Verifying Checksum') {
      layer.bytesDone = layer.bytesTotal;
    }
    if (DONE_STATUSES.has(status)) {
      layer.done = true;
      layer.bytesDone = layer.bytesTotal;
    }
    const snapshot = this.snapshot();
    const key = `${snapshot.layersTotal}/${snapshot.layersDone}/${snapshot.bytesTotal}/${snapshot.bytesDone}`;
    if (key === this.last) return null;
    this.last = key;
    return snapshot;
  }

  snapshot(): PullProgress {
    let layersDone = 0;
    let bytesTotal = 0;
    let bytesDone = 0;
    for (const layer of this.layers.values()) {
      if (layer.done) layersDone += 1;
      bytesTotal += layer.bytesTotal;
      bytesDone += layer.bytesDone;
    }
    return { layersTotal: this.layers.size, layersDone, bytesTotal, bytesDone };
  }
}
