import { randomBytes } from 'node:crypto';
import type { AgentCreateSession, AgentExec, AgentSessionState } from '@porthole/contracts';
import type { Logger } from 'pino';
import { type ContainerRuntime, type ExecResult, RuntimeError } from '../runtime/container-runtime.js';
import { createAndStart } from '../runtime/create-and-start.js';
import { AgentError, errorMessage } from '../util/errors.js';
import { KeyedMutex } from '../util/keyed-mutex.js';
import { ContainerSpecError, SESSION_LABELS } from './container-spec.js';
import { buildCreateSpec } from './create-request.js';
import { RfbNotReadyError, type waitForRfb } from './readiness.js';
import type { SessionReconciler } from './reconciler.js';
import type { SessionRecord, SessionRegistry } from './registry.js';

export interface HostLimits {
  cores: number;
  memoryBytes: number;
}

export interface SessionServiceDeps {
  runtime: ContainerRuntime;
  registry: SessionRegistry;
  reconciler: SessionReconciler;
  agentId: string;
  logger: Logger;
  host: () => HostLimits;
  waitForRfb: typeof waitForRfb;
  /** Seconds Docker waits after SIGTERM before SIGKILL on stop. */
  stopTimeoutSec?: number;
  randomPassword?: () => string;
}

const DEFAULT_STOP_TIMEOUT_SEC = 10;

function toState(record: SessionRecord): AgentSessionState {
  return {
    sessionId: record.sessionId,
    containerId: record.containerId,
    state: record.state,
    hostPort: record.hostPort,
  };
}

/** Maps a runtime failure to what the API answers; the runtime's message is kept verbatim. */
function fromRuntime(error: unknown, action: string): AgentError {
  if (error instanceof AgentError) return error;
  if (error instanceof RuntimeError) {
    const message = `${action}: ${error.message}`;
    switch (error.code) {
      case 'not_found':
      case 'invalid':
        return new AgentError('invalid', message, { cause: error });
      case 'conflict':
        return new AgentError('conflict', message, { cause: error });
      case 'unavailable':
        return new AgentError('unavailable', message, { cause: error });
      default:
        return new AgentError('internal', message, { cause: error });
    }
  }
  return new AgentError('internal', `${action}: ${errorMessage(error)}`, { cause: error });
}

/**
 * The session operations behind the agent API. Every operation on one session id runs under a
 * per-session lock, so a retried create, a delete racing a create, or two stops never interleave.
 */
export class SessionService {
  private readonly locks = new KeyedMutex();
  /** Readiness waits in progress per session: removing the session ends them at once. */
  private readonly readyWaits = new Map<string, Set<AbortController>>();

  constructor(private readonly deps: SessionServiceDeps) {}

  /** Idempotent on sessionId: an existing container is returned (and started if only created). */
  create(body: AgentCreateSession): Promise<{ state: AgentSessionState; created: boolean }> {
    return this.locks.run(body.sessionId, async () => {
      const existing = await this.find(body.sessionId);
      if (existing) {
        const log = this.log(existing);
        if (existing.state === 'created') {
          // A previous create was cut short between create and start (agent crash): finish it.
          await this.deps.runtime.start(existing.containerId).catch((error: unknown) => {
            throw fromRuntime(error, 'start existing session container');
          });
          log.info('started a session container an earlier create left behind');
        } else log.info({ state: existing.state }, 'create repeated for an existing session container');
        return { state: toState(await this.reread(existing)), created: false };
      }
      const vncPassword = this.deps.randomPassword?.() ?? randomBytes(24).toString('base64url');
      let spec: ReturnType<typeof buildCreateSpec>;
      try {
        spec = buildCreateSpec(body, { agentId: this.deps.agentId, vncPassword }, this.deps.host());
      } catch (error) {
        if (error instanceof ContainerSpecError) throw specError(error);
        throw error;
      }
      const present = await this.deps.runtime.imagePresent(body.image.ref).catch((error: unknown) => {
        throw fromRuntime(error, `check image ${body.image.ref}`);
      });
      if (!present) {
        throw new AgentError(
          'invalid',
          `image.ref: ${body.image.ref} is not present on this agent (it is pulled once the server lists it as enabled)`,
          { details: { field: 'image.ref' } },
        );
      }
      let containerId: string;
      try {
        ({ containerId } = await createAndStart(this.deps.runtime, spec));
      } catch (error) {
        if (error instanceof RuntimeError && error.code === 'conflict') {
          throw new AgentError(
            'conflict',
            `a container named ${spec.name} already exists but does not belong to this agent: ${error.message}`,
            { cause: error },
          );
        }
        throw fromRuntime(error, 'start session container');
      }
      const record = await this.deps.reconciler.refresh(containerId);
      if (!record) throw new AgentError('internal', `session container ${containerId} vanished after start`);
      this.log(record).info(
        {
          image: body.image.ref,
          cores: body.cores,
          memoryBytes: body.memoryBytes,
          hostPort: record.hostPort,
        },
        'session container started',
      );
      return { state: toState(record), created: true };
    });
  }

  async get(sessionId: string): Promise<AgentSessionState> {
    return toState(await this.reread(await this.require(sessionId)));
  }

  stop(sessionId: string): Promise<AgentSessionState> {
    return this.change(sessionId, 'stop', async (record) => {
      if (record.state === 'exited' || record.state === 'dead' || record.state === 'created') return;
      await this.deps.runtime.stop(record.containerId, this.deps.stopTimeoutSec ?? DEFAULT_STOP_TIMEOUT_SEC);
    });
  }

  pause(sessionId: string): Promise<AgentSessionState> {
    return this.change(sessionId, 'pause', async (record) => {
      if (record.state === 'paused') return;
      if (record.state !== 'running') throw notRunning(record, 'paused');
      await this.deps.runtime.pause(record.containerId);
    });
  }

  /** Paused → unpaused; stopped → started again (Docker gives it a new loopback port). */
  resume(sessionId: string): Promise<AgentSessionState> {
    return this.change(sessionId, 'resume', async (record) => {
      if (record.state === 'paused') await this.deps.runtime.unpause(record.containerId);
      else if (record.state === 'exited' || record.state === 'created') {
        await this.deps.runtime.start(record.containerId);
      } else if (record.state !== 'running') throw notRunning(record, 'resumed');
    });
  }

  /** Idempotent: removing a session this agent does not have succeeds. */
  destroy(sessionId: string, reason = 'requested'): Promise<boolean> {
    return this.locks.run(sessionId, async () => {
      const ids = new Set<string>();
      const known = this.deps.registry.get(sessionId);
      if (known) ids.add(known.containerId);
      const listed = await this.deps.runtime
        .list({ labels: this.selector(sessionId) })
        .catch((error: unknown) => {
          throw fromRuntime(error, 'list session containers');
        });
      for (const info of listed) ids.add(info.id);
      for (const containerId of ids) {
        await this.deps.runtime.remove(containerId, { force: true }).catch((error: unknown) => {
          throw fromRuntime(error, 'remove session container');
        });
        this.deps.logger.info({ sessionId, containerId, reason }, 'session container removed');
      }
      this.deps.registry.remove(sessionId);
      // Nothing is left to become ready: a wait would otherwise probe a gone port until its timeout.
      for (const wait of this.readyWaits.get(sessionId) ?? []) wait.abort();
      return ids.size > 0;
    });
  }

  async exec(sessionId: string, body: AgentExec): Promise<ExecResult> {
    const record = await this.require(sessionId);
    if (record.state !== 'running') throw notRunning(record, 'used for exec');
    const log = this.log(record);
    log.info({ user: body.user, workdir: body.workdir }, 'exec in session container');
    try {
      const result = await this.deps.runtime.exec(record.containerId, {
        cmd: ['/bin/sh', '-c', body.cmd],
        ...(body.environment ? { env: body.environment } : {}),
        ...(body.workdir ? { workdir: body.workdir } : {}),
        ...(body.user ? { user: body.user } : {}),
      });
      log.info({ exitCode: result.exitCode, truncated: result.truncated }, 'exec finished');
      return result;
    } catch (error) {
      throw fromRuntime(error, 'exec in session container');
    }
  }

  /** Checks the session can exec now, then runs it in the background (`?wait=false`). */
  async execDetached(sessionId: string, body: AgentExec): Promise<void> {
    const record = await this.require(sessionId);
    if (record.state !== 'running') throw notRunning(record, 'used for exec');
    this.exec(sessionId, body).catch((error: unknown) => {
      this.log(record).warn({ err: errorMessage(error) }, 'detached exec failed');
    });
  }

  /** Waits until websockify answers with the RFB banner; 504 when it does not in time. */
  async ready(sessionId: string, timeoutMs: number, signal?: AbortSignal): Promise<{ readyMs: number }> {
    // Registered before the container is looked up: a destroy that runs while the lookup is in
    // flight (it inspects the container twice) must still find this wait and end it, or the wait
    // would probe a removed port until its timeout and hold the agent's shutdown that long.
    const wait = new AbortController();
    const forward = () => wait.abort();
    if (signal?.aborted) wait.abort();
    signal?.addEventListener('abort', forward, { once: true });
    const waits = this.readyWaits.get(sessionId) ?? new Set<AbortController>();
    this.readyWaits.set(sessionId, waits);
    waits.add(wait);
    let record: SessionRecord | undefined;
    try {
      record = await this.reread(await this.require(sessionId));
      if (record.state !== 'running' || !record.hostPort) throw notRunning(record, 'probed');
      if (!record.vncPassword) {
        throw new AgentError('conflict', `session ${sessionId} has no VNC password; it cannot be streamed`);
      }
      const ready = await this.deps.waitForRfb({
        port: record.hostPort,
        password: record.vncPassword,
        timeoutMs,
        signal: wait.signal,
      });
      this.log(record).info({ readyMs: ready.elapsedMs, attempts: ready.attempts }, 'session is ready');
      return { readyMs: ready.elapsedMs };
    } catch (error) {
      if (error instanceof RfbNotReadyError && wait.signal.aborted && !signal?.aborted) {
        throw new AgentError(
          'not_found',
          `session ${sessionId} was removed while waiting for it to be ready`,
        );
      }
      if (error instanceof RfbNotReadyError) {
        const log = record ? this.log(record) : this.deps.logger.child({ sessionId });
        log.warn({ err: error.message, attempts: error.attempts }, 'session not ready');
        throw new AgentError('unavailable', error.message, {
          statusCode: error.permanent ? 502 : 504,
          details: { attempts: error.attempts, elapsedMs: error.elapsedMs },
        });
      }
      throw error;
    } finally {
      signal?.removeEventListener('abort', forward);
      waits.delete(wait);
      if (waits.size === 0 && this.readyWaits.get(sessionId) === waits) this.readyWaits.delete(sessionId);
    }
  }

  private change(
    sessionId: string,
    action: string,
    work: (record: SessionRecord) => Promise<void>,
  ): Promise<AgentSessionState> {
    return this.locks.run(sessionId, async () => {
      const record = await this.reread(await this.require(sessionId));
      try {
        await work(record);
      } catch (error) {
        throw fromRuntime(error, `${action} session`);
      }
      const after = await this.reread(record);
      this.log(after).info({ action, state: after.state }, `session ${action}`);
      return toState(after);
    });
  }

  /** The session's record, looking at the runtime when the registry has not seen it yet. */
  private async require(sessionId: string): Promise<SessionRecord> {
    const record = await this.find(sessionId);
    if (!record) throw new AgentError('not_found', `no session ${sessionId} on this agent`);
    return record;
  }

  private async find(sessionId: string): Promise<SessionRecord | null> {
    const known = this.deps.registry.get(sessionId);
    if (known) {
      const fresh = await this.deps.reconciler.refresh(known.containerId).catch((error: unknown) => {
        throw fromRuntime(error, 'inspect session container');
      });
      if (fresh) return fresh;
    }
    const listed = await this.deps.runtime
      .list({ labels: this.selector(sessionId) })
      .catch((error: unknown) => {
        throw fromRuntime(error, 'list session containers');
      });
    const first = listed[0];
    if (!first) return null;
    const running = listed.find((info) => info.state === 'running') ?? first;
    return this.deps.reconciler.refresh(running.id);
  }

  private async reread(record: SessionRecord): Promise<SessionRecord> {
    const fresh = await this.deps.reconciler.refresh(record.containerId).catch((error: unknown) => {
      throw fromRuntime(error, 'inspect session container');
    });
    if (!fresh) throw new AgentError('not_found', `session ${record.sessionId} is gone`);
    return fresh;
  }

  private selector(sessionId: string) {
    return { [SESSION_LABELS.agent]: this.deps.agentId, [SESSION_LABELS.session]: sessionId };
  }

  private log(record: SessionRecord): Logger {
    return this.deps.logger.child({ sessionId: record.sessionId, containerId: record.containerId });
  }
}

function notRunning(record: SessionRecord, verb: string): AgentError {
  return new AgentError(
    'conflict',
    `session ${record.sessionId} is ${record.state}; only a running session can be ${verb}`,
    { details: { state: record.state } },
  );
}

function specError(error: ContainerSpecError): AgentError {
  const issues = error.issues.map((issue) => ({ ...issue, field: bodyField(issue.field) }));
  const first = issues[0];
  return new AgentError('invalid', first ? `${first.field}: ${first.message}` : error.message, {
    details: { field: first?.field, issues },
  });
}

/** The spec builder names its own fields; answer with the request body's names. */
function bodyField(field: string): string {
  if (field.startsWith('env.')) return `environment.${field.slice(4)}`;
  if (field === 'kasmUrl') return 'url';
  if (field === 'kasmUser') return 'ownerName';
  if (field === 'networkName') return 'network';
  return field;
}
