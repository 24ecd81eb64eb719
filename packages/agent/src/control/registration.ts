import type { AgentRegisterRequest } from '@porthole/contracts';
import type { Logger } from 'pino';
import type { AgentIdentity, IdentityStore } from '../state/identity-store.js';
import { Backoff } from '../util/backoff.js';
import { abortableSleep } from '../util/sleep.js';
import { type ControlPlaneClient, ControlPlaneError } from './control-client.js';

/** Registration cannot succeed as configured; retrying would not help. */
export class RegistrationError extends Error {
  override readonly name = 'RegistrationError';
}

export interface RegistrationDeps {
  store: IdentityStore;
  client: Pick<ControlPlaneClient, 'register' | 'serverUrl'>;
  logger: Logger;
  /** Backoff while the server is unreachable or failing (5xx). */
  backoff?: Backoff;
  signal?: AbortSignal;
}

/**
 * The saved identity when there is one (a restart never registers again), otherwise one
 * registration with the token. Waits out an unreachable server; a refused token is final.
 */
export async function ensureIdentity(
  deps: RegistrationDeps,
  request: Omit<AgentRegisterRequest, 'token'> & { token: string | undefined },
): Promise<{ identity: AgentIdentity; registered: boolean }> {
  const saved = await deps.store.load();
  if (saved) {
    deps.logger.info({ agentId: saved.agentId, file: deps.store.path }, 'using saved agent identity');
    return { identity: saved, registered: false };
  }
  const { token, ...rest } = request;
  if (!token) {
    throw new RegistrationError(
      `no saved identity in ${deps.store.path} and no registration token: pass --token or PORTHOLE_AGENT_TOKEN`,
    );
  }
  const backoff = deps.backoff ?? new Backoff(1_000, 30_000);
  while (true) {
    if (deps.signal?.aborted) throw new RegistrationError('registration aborted');
    try {
      const answer = await deps.client.register({ ...rest, token });
      const identity: AgentIdentity = {
        agentId: answer.agentId,
        secret: answer.secret,
        zoneId: answer.zoneId,
        grantPublicKey: answer.grantPublicKey,
        serverUrl: deps.client.serverUrl,
        registeredAt: new Date().toISOString(),
      };
      await deps.store.save(identity);
      deps.logger.info(
        { agentId: identity.agentId, zoneId: identity.zoneId, file: deps.store.path },
        'registered with the server',
      );
      return { identity, registered: true };
    } catch (error) {
      if (!(error instanceof ControlPlaneError) || !retryable(error.status)) {
        throw new RegistrationError(describeFailure(error), { cause: error });
      }
      const delay = backoff.next();
      deps.logger.warn(
        { err: error.message, retryInMs: delay, attempt: backoff.failures },
        'registration failed; retrying',
      );
      await abortableSleep(delay, deps.signal);
    }
  }
}

function retryable(status: number): boolean {
  return status === 0 || status === 429 || status >= 500;
}

function describeFailure(error: unknown): string {
  if (error instanceof ControlPlaneError) {
    if (error.status === 401 || error.status === 403) {
      return `the server refused the registration token (HTTP ${error.status}); check --token`;
    }
    return `registration failed: ${error.message}`;
  }
  return `registration failed: ${error instanceof Error ? error.message : String(error)}`;
}
