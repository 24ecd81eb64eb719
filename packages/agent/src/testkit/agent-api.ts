import type { GrantPayload } from '@porthole/contracts';

export type Sign = (grant: Omit<GrantPayload, 'exp'>) => string;

export interface ApiAnswer {
  status: number;
  json: Record<string, unknown>;
  /** The `{error}` body of a failed call. */
  error: { code: string; message: string; details?: Record<string, unknown> } | null;
}

/** Calls an agent's API the way the server does: a grant per call, JSON in and out. */
export function agentApi(baseUrl: string, agentId: string, sign: Sign) {
  const call = async (
    method: string,
    path: string,
    options: { act?: GrantPayload['act']; sid: string; body?: unknown; authorization?: string | null },
  ): Promise<ApiAnswer> => {
    const headers: Record<string, string> = {};
    const authorization =
      options.authorization === undefined
        ? `Bearer ${sign({ aud: agentId, sid: options.sid, act: options.act ?? 'control' })}`
        : options.authorization;
    if (authorization) headers.authorization = authorization;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(new URL(path, baseUrl), {
      method,
      headers,
      body: options.body === undefined ? null : JSON.stringify(options.body),
    });
    const text = await res.text();
    const json = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    const error = (json.error ?? null) as ApiAnswer['error'];
    return { status: res.status, json, error };
  };
  return {
    call,
    create: (body: { sessionId: string } & Record<string, unknown>) =>
      call('POST', '/v1/sessions', { act: 'create', sid: body.sessionId, body }),
    session: (method: string, sessionId: string, suffix = '', body?: unknown) =>
      call(method, `/v1/sessions/${sessionId}${suffix}`, { sid: sessionId, ...(body ? { body } : {}) }),
  };
}

export function createBody(sessionId: string, image: string, extra: Record<string, unknown> = {}) {
  return {
    sessionId,
    ownerId: 'owner-1',
    ownerName: 'alice',
    image: { ref: image, name: 'test' },
    cores: 0.5,
    memoryBytes: 256 * 1024 * 1024,
    shmBytes: 64 * 1024 * 1024,
    ...extra,
  };
}
