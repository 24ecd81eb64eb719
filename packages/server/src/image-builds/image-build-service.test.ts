import { describe, expect, it } from 'vitest';
import { ManualClock } from '../platform/clock.js';
import { ImageBuildService } from './image-build-service.js';

const plan = {
  type: 'plan' as const,
  images: [
    { name: 'desktop', image: 'porthole/desktop:1.0.0' },
    { name: 'desktop-deluxe', image: 'porthole/desktop-deluxe:1.0.0' },
    { name: 'firefox', image: 'porthole/firefox:1.0.0' },
  ],
};

function setup() {
  const clock = new ManualClock(new Date('2026-01-01T10:00:00Z'));
  return { clock, builds: new ImageBuildService(clock) };
}

describe('ImageBuildService', () => {
  it('has nothing to show before any build', () => {
    const { builds } = setup();
    expect(builds.view()).toEqual({
      active: false,
      startedAt: null,
      finishedAt: null,
      base: null,
      error: null,
      images: [],
    });
  });

  it('queues the plan, then follows steps with elapsed time, and ends inactive', () => {
    const { clock, builds } = setup();
    builds.record(plan);
    expect(builds.view().active).toBe(true);
    expect(builds.view().images.map((i) => i.state)).toEqual(['queued', 'queued', 'queued']);

    builds.record({ type: 'base', text: 'porthole/base-bookworm:latest (already present)' });
    builds.record({ type: 'start', name: 'desktop' });
    clock.advance(12_000);
    builds.record({ type: 'step', name: 'desktop', step: 7, steps: 19, text: 'RUN apt-get install' });
    clock.advance(3_000);
    const building = builds.view();
    expect(building.base).toBe('porthole/base-bookworm:latest (already present)');
    expect(building.images[0]).toMatchObject({
      state: 'building',
      step: 7,
      steps: 19,
      stepText: 'RUN apt-get install',
      elapsedSeconds: 15,
      finishedAt: null,
    });
    expect(building.images[1]).toMatchObject({ state: 'queued', elapsedSeconds: 0, step: null });

    builds.record({ type: 'finish', name: 'desktop', status: 'built' });
    builds.record({ type: 'finish', name: 'desktop-deluxe', status: 'cached' });
    builds.record({ type: 'start', name: 'firefox' });
    clock.advance(2_000);
    builds.record({ type: 'finish', name: 'firefox', status: 'failed', error: 'step 3/9: exit 1' });
    expect(builds.view().active).toBe(false);
    builds.record({ type: 'end' });
    clock.advance(60_000);

    const done = builds.view();
    expect(done.active).toBe(false);
    expect(done.finishedAt).toBe('2026-01-01T10:00:17.000Z');
    expect(done.images).toMatchObject([
      { name: 'desktop', state: 'done', upToDate: false, elapsedSeconds: 15 },
      { name: 'desktop-deluxe', state: 'done', upToDate: true, elapsedSeconds: 0 },
      { name: 'firefox', state: 'failed', error: 'step 3/9: exit 1', elapsedSeconds: 2 },
    ]);
  });

  it('marks skipped children with the reason', () => {
    const { builds } = setup();
    builds.record(plan);
    builds.record({ type: 'finish', name: 'desktop', status: 'failed', error: 'no network' });
    builds.record({
      type: 'finish',
      name: 'firefox',
      status: 'skipped',
      error: 'parent image desktop is not available',
    });
    expect(builds.view().images.map((i) => [i.name, i.state, i.error])).toEqual([
      ['desktop', 'failed', 'no network'],
      ['desktop-deluxe', 'queued', null],
      ['firefox', 'skipped', 'parent image desktop is not available'],
    ]);
  });

  it('fails what is left when the run ends early, so nothing waits forever', () => {
    const { builds } = setup();
    builds.record(plan);
    builds.record({ type: 'start', name: 'desktop' });
    builds.record({ type: 'end', error: 'connect ENOENT /var/run/docker.sock' });
    const view = builds.view();
    expect(view.active).toBe(false);
    expect(view.error).toBe('connect ENOENT /var/run/docker.sock');
    expect(view.images.every((i) => i.state === 'failed')).toBe(true);
    expect(view.images[2]?.error).toBe('connect ENOENT /var/run/docker.sock');
  });

  it('starts over with a new plan and ignores events for unknown images', () => {
    const { builds } = setup();
    builds.record(plan);
    builds.record({ type: 'finish', name: 'desktop', status: 'built' });
    builds.record({ type: 'end' });
    builds.record({ type: 'plan', images: [{ name: 'firefox', image: 'porthole/firefox:1.0.0' }] });
    builds.record({ type: 'start', name: 'chrome' });
    expect(builds.view()).toMatchObject({
      active: true,
      finishedAt: null,
      images: [{ name: 'firefox', state: 'queued' }],
    });
  });
});
