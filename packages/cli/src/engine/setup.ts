/**
 * What `porthole up` does about the Docker Engine before it starts: nothing when it answers; as
 * root on Debian/Ubuntu, install and start it (the same script the test command uses); otherwise
 * one line saying what to install. The decision is pure and the side effects sit behind
 * interfaces, so the unit tests run every branch without a package manager or a daemon.
 */

export interface EngineFacts {
  /** The endpoint the local agent will use, as the person wrote it (`unix:///…`, `tcp://…`). */
  endpoint: string;
  /** This machine's default socket: the only engine Porthole may install or start. */
  localDefault: boolean;
  answers: boolean;
  dockerdInstalled: boolean;
  root: boolean;
  aptGet: boolean;
}

export type EnginePlan =
  | { kind: 'ready' }
  | { kind: 'setup'; install: boolean }
  | { kind: 'advise'; message: string };

const AGAIN = 'then run npm start again';
export const INSTALL_HINT = `Docker Engine is not running: install it (Debian/Ubuntu: apt-get install docker.io) and start it, ${AGAIN}`;

export function planEngine(f: EngineFacts, autoSetup: boolean): EnginePlan {
  if (f.answers) return { kind: 'ready' };
  if (!f.localDefault)
    return {
      kind: 'advise',
      message: `Docker Engine at ${f.endpoint} is not answering: start it (or unset DOCKER_HOST for this machine's), ${AGAIN}`,
    };
  if (autoSetup && f.root && (f.dockerdInstalled || f.aptGet))
    return { kind: 'setup', install: !f.dockerdInstalled };
  if (f.dockerdInstalled)
    return {
      kind: 'advise',
      message: `Docker Engine is installed but not running: start it (systemctl start docker, or dockerd &, as root), ${AGAIN}`,
    };
  if (f.root && !f.aptGet && autoSetup)
    return {
      kind: 'advise',
      message: `Docker Engine is not running and there is no apt-get here: install it (https://docs.docker.com/engine/install/) and start it, ${AGAIN}`,
    };
  return {
    kind: 'advise',
    message: f.root || !autoSetup ? INSTALL_HINT : `${INSTALL_HINT} (as root, npm start does both)`,
  };
}

/** Runs the shared install-and-start script; resolves with why it failed, if it did. */
export interface EngineInstaller {
  ensure(log: (line: string) => void): Promise<{ ok: true } | { ok: false; reason: string }>;
}

export interface EngineProbe {
  /** Resolves true when the engine answers a ping within a few seconds. */
  answers(endpoint: string | undefined): Promise<boolean>;
  /** Whether a command is on PATH (or in the sbin directories root's PATH usually has). */
  has(command: string): boolean;
  isRoot(): boolean;
}

export function isLocalDefault(endpoint: string | undefined): boolean {
  if (endpoint === undefined || endpoint.trim() === '') return true;
  return ['unix:///var/run/docker.sock', 'unix:///run/docker.sock', '/var/run/docker.sock'].includes(
    endpoint.trim(),
  );
}

export async function detectEngine(endpoint: string | undefined, probe: EngineProbe): Promise<EngineFacts> {
  return {
    endpoint: endpoint ?? 'unix:///var/run/docker.sock',
    localDefault: isLocalDefault(endpoint),
    answers: await probe.answers(endpoint),
    dockerdInstalled: probe.has('dockerd'),
    root: probe.isRoot(),
    aptGet: probe.has('apt-get'),
  };
}

export type EngineOutcome =
  /** `setUp`: this start installed or started it. */
  | { ready: true; setUp: boolean }
  /** One line for the terminal; the web app still starts. */
  | { ready: false; message: string };

/** Detect, decide, and (as root on Debian/Ubuntu) set up; never throws. */
export async function ensureEngine(opts: {
  endpoint: string | undefined;
  autoSetup: boolean;
  probe: EngineProbe;
  installer: EngineInstaller;
  log: (line: string) => void;
}): Promise<EngineOutcome> {
  const facts = await detectEngine(opts.endpoint, opts.probe);
  const plan = planEngine(facts, opts.autoSetup);
  if (plan.kind === 'ready') return { ready: true, setUp: false };
  if (plan.kind === 'advise') return { ready: false, message: plan.message };
  opts.log(
    plan.install
      ? 'Docker Engine is missing: installing docker.io and starting it (first start only)'
      : 'Docker Engine is not running: starting it',
  );
  const result = await opts.installer.ensure(opts.log).catch((err: unknown) => ({
    ok: false as const,
    reason: err instanceof Error ? err.message : String(err),
  }));
  if (!result.ok)
    return { ready: false, message: `Docker Engine could not be set up (${result.reason}): ${INSTALL_HINT}` };
  if (!(await opts.probe.answers(opts.endpoint)))
    return { ready: false, message: `Docker Engine was started but does not answer: ${INSTALL_HINT}` };
  return { ready: true, setUp: true };
}
