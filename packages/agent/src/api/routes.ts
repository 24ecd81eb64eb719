import {
  type AgentDisconnect,
  type AgentDisconnectResult,
  agentCreateSessionSchema,
  agentDisconnectSchema,
  agentExecSchema,
} from '@porthole/contracts';
import type { FastifyInstance } from 'fastify';
import type { SessionService } from '../sessions/session-service.js';
import { invalidField } from '../util/errors.js';
import { parseWith } from './parse.js';

export interface RouteDeps {
  /** Throws (503) until the agent knows its identity; the grant hook refuses before that anyway. */
  sessions: () => SessionService;
  health: () => { agentId: string | null; version: string };
  /** The gateway's open streams (kick and revoke close them). */
  streams: { disconnect(sessionId: string, target: AgentDisconnect): number };
}

const DEFAULT_READY_TIMEOUT_MS = 30_000;
const MAX_READY_TIMEOUT_MS = 300_000;

type IdParams = { Params: { id: string } };

function readyTimeout(query: unknown): number {
  const raw = (query as { timeoutMs?: unknown } | undefined)?.timeoutMs;
  if (raw === undefined) return DEFAULT_READY_TIMEOUT_MS;
  const value = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_READY_TIMEOUT_MS) {
    throw invalidField(
      'timeoutMs',
      `must be a whole number of milliseconds from 1 to ${MAX_READY_TIMEOUT_MS}`,
    );
  }
  return value;
}

function waitFlag(query: unknown): boolean {
  const raw = (query as { wait?: unknown } | undefined)?.wait;
  if (raw === undefined || raw === 'true') return true;
  if (raw === 'false') return false;
  throw invalidField('wait', 'must be true or false');
}

/** The agent API the server calls (see packages/server/src/agents/agent-client.ts). */
export function agentRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { sessions } = deps;

  app.get('/v1/health', { config: { public: true } }, async () => deps.health());

  app.post('/v1/sessions', { config: { grant: 'create' } }, async (request, reply) => {
    const body = parseWith(agentCreateSessionSchema, request.body);
    const { state, created } = await sessions().create(body);
    return reply.status(created ? 201 : 200).send(state);
  });

  app.get<IdParams>('/v1/sessions/:id/ready', { config: { grant: 'control' } }, async (request, reply) => {
    const timeoutMs = readyTimeout(request.query);
    // The server gave up (or crashed): stop probing on its behalf. The response's close (not the
    // request's, which fires once a body-less request is read) tells a dropped connection.
    const controller = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableEnded) controller.abort();
    };
    reply.raw.once('close', onClose);
    try {
      return await sessions().ready(request.params.id, timeoutMs, controller.signal);
    } finally {
      reply.raw.off('close', onClose);
    }
  });

  app.get<IdParams>('/v1/sessions/:id', { config: { grant: 'control' } }, async (request) =>
    sessions().get(request.params.id),
  );

  app.post<IdParams>('/v1/sessions/:id/stop', { config: { grant: 'control' } }, async (request) =>
    sessions().stop(request.params.id),
  );
  app.post<IdParams>('/v1/sessions/:id/pause', { config: { grant: 'control' } }, async (request) =>
    sessions().pause(request.params.id),
  );
  app.post<IdParams>('/v1/sessions/:id/resume', { config: { grant: 'control' } }, async (request) =>
    sessions().resume(request.params.id),
  );

  app.delete<IdParams>('/v1/sessions/:id', { config: { grant: 'control' } }, async (request, reply) => {
    await sessions().destroy(request.params.id);
    return reply.status(204).send();
  });

  // Idempotent: a session with no (more) matching streams answers {closed: 0}.
  app.post<IdParams>(
    '/v1/sessions/:id/disconnect',
    { config: { grant: 'control' } },
    async (request): Promise<AgentDisconnectResult> => {
      const body = parseWith(agentDisconnectSchema, request.body);
      return { closed: deps.streams.disconnect(request.params.id, body) };
    },
  );

  app.post<IdParams>('/v1/sessions/:id/exec', { config: { grant: 'control' } }, async (request, reply) => {
    const wait = waitFlag(request.query);
    const body = parseWith(agentExecSchema, request.body);
    if (!wait) {
      await sessions().execDetached(request.params.id, body);
      return reply.status(202).send({ accepted: true });
    }
    const result = await sessions().exec(request.params.id, body);
    return { exitCode: result.exitCode, output: result.output, truncated: result.truncated };
  });
}
