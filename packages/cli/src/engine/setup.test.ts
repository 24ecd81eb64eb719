import { describe, expect, it, vi } from 'vitest';
import {
  type EngineFacts,
  type EngineInstaller,
  type EngineProbe,
  ensureEngine,
  INSTALL_HINT,
  isLocalDefault,
  planEngine,
} from './setup.js';

const facts = (over: Partial<EngineFacts> = {}): EngineFacts => ({
  endpoint: 'unix:///var/run/docker.sock',
  localDefault: true,
  answers: false,
  dockerdInstalled: false,
  root: true,
  aptGet: true,
  ...over,
});

describe('planEngine', () => {
  it('does nothing when the engine answers, whoever runs it', () => {
    expect(planEngine(facts({ answers: true, root: false }), true)).toEqual({ kind: 'ready' });
  });

  it('as root with apt-get: installs when dockerd is missing, only starts it when installed', () => {
    expect(planEngine(facts(), true)).toEqual({ kind: 'setup', install: true });
    expect(planEngine(facts({ dockerdInstalled: true }), true)).toEqual({ kind: 'setup', install: false });
    // Starting needs no package manager.
    expect(planEngine(facts({ dockerdInstalled: true, aptGet: false }), true)).toEqual({
      kind: 'setup',
      install: false,
    });
  });

  it('not root: one line saying what to install, and that npm start does it as root', () => {
    const plan = planEngine(facts({ root: false }), true);
    expect(plan).toEqual({ kind: 'advise', message: `${INSTALL_HINT} (as root, npm start does both)` });
    expect(INSTALL_HINT).toBe(
      'Docker Engine is not running: install it (Debian/Ubuntu: apt-get install docker.io) and start it, then run npm start again',
    );
    expect(planEngine(facts({ root: false, dockerdInstalled: true }), true)).toMatchObject({
      kind: 'advise',
      message: expect.stringMatching(/^Docker Engine is installed but not running: start it/),
    });
  });

  it('root without apt-get: points at Docker’s install page', () => {
    expect(planEngine(facts({ aptGet: false }), true)).toMatchObject({
      kind: 'advise',
      message: expect.stringContaining('https://docs.docker.com/engine/install/'),
    });
  });

  it('never installs or starts anything for a DOCKER_HOST other than this machine’s socket', () => {
    const plan = planEngine(facts({ endpoint: 'unix:///tmp/x.sock', localDefault: false }), true);
    expect(plan).toMatchObject({
      kind: 'advise',
      message: expect.stringMatching(/^Docker Engine at unix:\/\/\/tmp\/x\.sock is not answering/),
    });
  });

  it('with setup turned off, only advises', () => {
    expect(planEngine(facts(), false)).toEqual({ kind: 'advise', message: INSTALL_HINT });
  });

  it('knows this machine’s socket', () => {
    expect(isLocalDefault(undefined)).toBe(true);
    expect(isLocalDefault('unix:///var/run/docker.sock')).toBe(true);
    expect(isLocalDefault('unix:///tmp/other.sock')).toBe(false);
    expect(isLocalDefault('tcp://10.0.0.2:2375')).toBe(false);
  });
});

function probe(over: Partial<EngineProbe> & { answersSeq?: boolean[] } = {}): EngineProbe {
  const seq = [...(over.answersSeq ?? [false])];
  return {
    answers: vi.fn(async () => (seq.length > 1 ? (seq.shift() as boolean) : (seq[0] ?? false))),
    has: over.has ?? ((cmd) => cmd === 'apt-get'),
    isRoot: over.isRoot ?? (() => true),
  };
}

describe('ensureEngine', () => {
  const log = () => undefined;

  it('runs the installer as root on Debian and is ready once the engine answers', async () => {
    const installer: EngineInstaller = { ensure: vi.fn(async () => ({ ok: true as const })) };
    const lines: string[] = [];
    const out = await ensureEngine({
      endpoint: undefined,
      autoSetup: true,
      probe: probe({ answersSeq: [false, true] }),
      installer,
      log: (l) => lines.push(l),
    });
    expect(out).toEqual({ ready: true, setUp: true });
    expect(installer.ensure).toHaveBeenCalledTimes(1);
    expect(lines[0]).toMatch(/installing docker\.io/);
  });

  it('never calls the installer when the engine answers or when not root', async () => {
    const installer: EngineInstaller = { ensure: vi.fn(async () => ({ ok: true as const })) };
    expect(
      await ensureEngine({
        endpoint: undefined,
        autoSetup: true,
        probe: probe({ answersSeq: [true] }),
        installer,
        log,
      }),
    ).toEqual({ ready: true, setUp: false });
    const out = await ensureEngine({
      endpoint: undefined,
      autoSetup: true,
      probe: probe({ isRoot: () => false }),
      installer,
      log,
    });
    expect(out).toMatchObject({
      ready: false,
      message: expect.stringContaining('apt-get install docker.io'),
    });
    expect(installer.ensure).not.toHaveBeenCalled();
  });

  it('a failed install is one line with the script’s reason and the hint', async () => {
    const installer: EngineInstaller = {
      ensure: async () => ({ ok: false as const, reason: 'apt-get update failed (see /d/apt.log)' }),
    };
    const out = await ensureEngine({ endpoint: undefined, autoSetup: true, probe: probe(), installer, log });
    expect(out.ready).toBe(false);
    if (!out.ready) {
      expect(out.message).toContain('apt-get update failed (see /d/apt.log)');
      expect(out.message.split('\n')).toHaveLength(1);
    }
  });

  it('an installer that throws is a failure too, not a crash', async () => {
    const installer: EngineInstaller = {
      ensure: async () => {
        throw new Error('spawn bash ENOENT');
      },
    };
    const out = await ensureEngine({ endpoint: undefined, autoSetup: true, probe: probe(), installer, log });
    expect(out).toMatchObject({ ready: false, message: expect.stringContaining('spawn bash ENOENT') });
  });
});
