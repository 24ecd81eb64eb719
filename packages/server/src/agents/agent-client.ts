import type {
  AgentCreateSession,
  AgentDisconnect,
  AgentDisconnectResult,
  AgentExec,
  AgentSessionState,
  GrantPayload,
} from '@porthole/contracts';
import type { GrantIssuer } from '@porthole/stream';

export interface AgentAddress {
  id: string;
  url: string;
}

/** An agent answered with an error, or could not be reached (`status` 0). */
export class AgentCallError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface AgentClient {
  create(agent: AgentAddress, body: AgentCreateSession): Promise<AgentSessionState>;
  ready(agent: AgentAddress, sessionId: string, timeoutMs: number): Promise<{ readyMs: number }>;
  action(
    agent: AgentAddress,
    sessionId: string,
    action: 'stop' | 'pause' | 'resume',
  ): Promise<AgentSessionState>;
  destroy(agent: AgentAddress, sessionId: string): Promise<void>;
  exec(agent: AgentAddress, sessionId: string, body: AgentExec, wait: boolean): Promise<unknown>;
  /** Closes open streams of the session (kick, revoke); `closed` says how many. */
  disconnect(agent: AgentAddress, sessionId: string, target: AgentDisconnect): Promise<AgentDisconnectResult>;
}

const GRANT_TTL_SECONDS = 60;

/** Calls the agent API; every call carries a short-lived grant bound to agent, session and action. */
export class HttpAgentClient implements AgentClient {
  constructor(private readonly signer: GrantIssuer) {}

  create(agent: AgentAddress, body: AgentCreateSession): Promise<AgentSessionState> {
    return this.call(agent, body.sessionId, 'create', 'POST', '/v1/sessions', body, 120_000);
  }

  ready(agent: AgentAddress, sessionId: string, timeoutMs: number): Promise<{ readyMs: number }> {
    const path = `/v1/sessions/${sessionId}/ready?timeoutMs=${timeoutMs}`;
    return this.call(agent, sessionId, 'control', 'GET', path, undefined, timeoutMs + 5_000);
  }

  action(
    agent: AgentAddress,
    sessionId: string,
    action: 'stop' | 'pause' | 'resume',
  ): Promise<AgentSessionState> {
    return this.call(
      agent,
      sessionId,
      'control',
      'POST',
      `/v1/sessions/${sessionId}/${action}`,
      undefined,
      60_000,
    );
  }

  async destroy(agent: AgentAddress, sessionId: string): Promise<void> {
    await this.call(agent, sessionId, 'control', 'DELETE', `/v1/sessions/${sessionId}`, undefined, 60_000);
  }

  exec(agent: AgentAddress, sessionId: string, body: AgentExec, wait: boolean): Promise<unknown> {
    const path = `/v1/sessions/${sessionId}/exec${wait ? '' : '?wait=false'}`;
    return this.call(agent, sessionId, 'control', 'POST', path, body, 120_000);
  }

  disconnect(
    agent: AgentAddress,
    sessionId: string,
    target: AgentDisconnect,
  ): Promise<AgentDisconnectResult> {
    // Short: the owner's DELETE waits for it, and a dead agent has no streams left to close anyway.
    const path = `/v1/sessions/${sessionId}/disconnect`;
    return this.call(agent, sessionId, 'control', 'POST', path, target, 5_000);
  }

  private async call<T>(
    agent: AgentAddress,
    sessionId: string,
    act: GrantPayload['act'],
    method: string,
    path: string,
    body: unknown,
    timeoutMs: number,
  ): Promise<T> {
    const grant = this.signer.issue({ aud: agent.id, sid: sessionId, act }, GRANT_TTL_SECONDS);
    const headers: Record<string, string> = { authorization: `Bearer ${grant}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(new URL(path, agent.url), {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const cause =
        err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      throw new AgentCallError(`agent unreachable: ${cause}`, 0);
    }
    const text = await res.text();
    if (!res.ok) {
      let message = text.slice(0, 500) || res.statusText;
      try {
        const parsed = JSON.parse(text) as { error?: { message?: string } };
        if (parsed.error?.message) message = parsed.error.message;
      } catch {
        // not JSON: keep the raw text
      }
      throw new AgentCallError(message, res.status);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
