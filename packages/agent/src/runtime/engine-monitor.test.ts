import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { PullScheduler } from '../images/pull-scheduler.js';
import { MemoryRuntime } from '../testkit/memory-runtime.js';
import { RuntimeError } from './container-runtime.js';
import { EngineMonitor } from './engine-monitor.js';

/** A runtime whose engine can be switched off: every call then fails the way Docker's do. */
class SwitchableRuntime extends MemoryRuntime {
  down = false;
  private gone(action: string): RuntimeError {
    return new RuntimeError('unavailable', `${action}: Docker daemon unreachable (connect ENOENT)`);
  }
  override async ping(): Promise<void> {
    if (this.down) throw this.gone('ping');
  }
  override async imagePresent(ref: string): Promise<boolean> {
    if (this.down) throw this.gone('inspect image');
    return super.imagePresent(ref);
  }
  override async pullImage(ref: string, onProgress: Parameters<MemoryRuntime['pullImage']>[1]) {
    if (this.down) throw this.gone('pull');
    return super.pullImage(ref, onProgress);
  }
}

function capture() {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  const at = (level: number) => lines.filter((l) => l.level === level).map((l) => l.msg);
  return { logger, warns: () => at(40), infos: () => at(30) };
}

const images = ['porthole/desktop:latest', 'porthole/firefox:latest', 'porthole/desktop-deluxe:latest'];

describe('EngineMonitor', () => {
  it('an engine that goes away and comes back is one warning and one info, whatever noticed it', async () => {
    const runtime = new SwitchableRuntime();
    const log = capture();
    let back = 0;
    const monitor = new EngineMonitor({ runtime, logger: log.logger, onBack: () => back++ });
    const pulls = new PullScheduler({
      runtime,
      logger: log.logger,
      engine: monitor,
      retry: { initialMs: 1, maxMs: 1 },
    });

    runtime.down = true;
    // Several check-ins' worth of pulls and probes while the engine is gone.
    for (let i = 0; i < 5; i++) {
      pulls.setDesired(images);
      await pulls.idle();
      await new Promise((r) => setTimeout(r, 5));
      await pulls.idle();
      expect(await monitor.probe()).toMatchObject({
        reachable: false,
        error: expect.stringMatching(/ENOENT/),
      });
    }
    expect(log.warns()).toEqual([
      'Docker Engine unreachable; sessions cannot start here until it answers again',
    ]);
    expect(pulls.report().every((i) => i.state !== 'present')).toBe(true);

    runtime.down = false;
    expect(await monitor.probe('27.0.0')).toEqual({ reachable: true, version: '27.0.0' });
    await monitor.probe('27.0.0');
    expect(back).toBe(1);
    expect(log.infos().filter((m) => m === 'Docker Engine is back')).toHaveLength(1);
    expect(log.warns()).toHaveLength(1);
    pulls.close();
  });

  it('the engine back makes failed pulls retry now', async () => {
    const runtime = new SwitchableRuntime();
    const log = capture();
    const monitor = new EngineMonitor({ runtime, logger: log.logger });
    const pulls = new PullScheduler({
      runtime,
      logger: log.logger,
      engine: monitor,
      retry: { initialMs: 60_000, maxMs: 60_000 },
    });
    runtime.down = true;
    pulls.setDesired(images);
    await pulls.idle();
    runtime.down = false;
    pulls.retryNow();
    await pulls.idle();
    await pulls.idle();
    expect(pulls.report().map((i) => i.state)).toEqual(['present', 'present', 'present']);
    pulls.close();
  });

  it('a first successful probe is silent; a pull refused by a reachable engine still warns', async () => {
    const runtime = new SwitchableRuntime();
    runtime.pull = async (ref) => {
      throw new RuntimeError('not_found', `pull ${ref}: manifest unknown`);
    };
    const log = capture();
    const monitor = new EngineMonitor({ runtime, logger: log.logger });
    expect(await monitor.probe()).toEqual({ reachable: true });
    const pulls = new PullScheduler({ runtime, logger: log.logger, engine: monitor });
    pulls.setDesired(['broken:1']);
    await pulls.idle();
    expect(log.warns()).toEqual(['image pull failed']);
    expect(log.infos()).not.toContain('Docker Engine is back');
    pulls.close();
  });
});
