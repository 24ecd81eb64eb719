import type { ImageBuildEvent, ImageBuildState, ImageBuildsView, ImageBuildView } from '@porthole/contracts';
import type { Clock } from '../platform/clock.js';

interface ImageEntry {
  name: string;
  image: string;
  state: ImageBuildState;
  step: number | null;
  steps: number | null;
  stepText: string | null;
  upToDate: boolean;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
}

/**
 * The state of the default images' background build (`porthole up`), kept in memory and fed by
 * the builder's progress events, so admins can watch a first start's builds on the Workspaces page
 * instead of in the log. One run at a time: a new `plan` starts over. A server that builds
 * nothing (`porthole server`, `--build-images=false`) answers with no images and not active.
 */
export class ImageBuildService {
  private images: ImageEntry[] = [];
  private base: string | null = null;
  private error: string | null = null;
  private startedAt: Date | null = null;
  private finishedAt: Date | null = null;

  constructor(private readonly clock: Clock) {}

  /** The builder's `onProgress`. Events for images outside the plan are ignored. */
  record(event: ImageBuildEvent): void {
    const now = this.clock.now();
    switch (event.type) {
      case 'plan':
        this.images = event.images.map((i) => ({
          name: i.name,
          image: i.image,
          state: 'queued',
          step: null,
          steps: null,
          stepText: null,
          upToDate: false,
          startedAt: null,
          finishedAt: null,
          error: null,
        }));
        this.base = null;
        this.error = null;
        this.startedAt = now;
        this.finishedAt = null;
        return;
      case 'base':
        this.base = event.text;
        return;
      case 'start':
        this.update(event.name, (e) => {
          e.state = 'building';
          e.startedAt = now;
        });
        return;
      case 'step':
        this.update(event.name, (e) => {
          e.state = 'building';
          e.startedAt ??= now;
          e.step = event.step;
          e.steps = event.steps;
          e.stepText = event.text;
        });
        return;
      case 'finish':
        this.update(event.name, (e) => {
          e.state = event.status === 'built' || event.status === 'cached' ? 'done' : event.status;
          e.upToDate = event.status === 'cached';
          e.error = event.error ?? null;
          e.startedAt ??= now;
          e.finishedAt = now;
        });
        return;
      case 'end':
        this.error = event.error ?? null;
        this.finishedAt = now;
        // A run that ended early (no Docker, no base) leaves nothing waiting forever.
        for (const e of this.images) {
          if (e.state !== 'queued' && e.state !== 'building') continue;
          e.state = 'failed';
          e.error = event.error ?? 'the build run ended before this image';
          e.finishedAt = now;
        }
        return;
    }
  }

  view(): ImageBuildsView {
    const now = this.clock.now();
    return {
      active: this.images.some((e) => e.state === 'queued' || e.state === 'building'),
      startedAt: this.startedAt?.toISOString() ?? null,
      finishedAt: this.finishedAt?.toISOString() ?? null,
      base: this.base,
      error: this.error,
      images: this.images.map((e) => toView(e, now)),
    };
  }

  private update(name: string, change: (entry: ImageEntry) => void): void {
    const entry = this.images.find((e) => e.name === name);
    if (entry) change(entry);
  }
}

function toView(e: ImageEntry, now: Date): ImageBuildView {
  const end = e.finishedAt ?? now;
  const elapsed = e.startedAt ? Math.max(0, (end.getTime() - e.startedAt.getTime()) / 1000) : 0;
  return {
    name: e.name,
    image: e.image,
    state: e.state,
    step: e.step,
    steps: e.steps,
    stepText: e.stepText,
    upToDate: e.upToDate,
    startedAt: e.startedAt?.toISOString() ?? null,
    finishedAt: e.finishedAt?.toISOString() ?? null,
    elapsedSeconds: Math.round(elapsed * 10) / 10,
    error: e.error,
  };
}
