import { type ErrorCode, errorBodySchema } from '@porthole/contracts';
import { z } from 'zod';

export interface FieldIssue {
  field: string;
  message: string;
}

/** Codes the server sends, plus the two the client makes up when it never got a usable answer. */
export type ApiErrorCode = ErrorCode | 'network' | 'bad_response';

/** Every failed API call ends here: the server's code and message, and its field issues for 400s. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details: unknown = undefined,
    readonly fieldIssues: FieldIssue[] = [],
  ) {
    super(message);
  }

  /** The message for one field (`settings.max_sessions_per_user`, `username`), if the server named it. */
  fieldError(field: string): string | undefined {
    return this.fieldIssues.find((i) => i.field === field)?.message;
  }

  /** A numeric detail such as `details.limit` on a 409 session-limit error. */
  detailNumber(key: string): number | undefined {
    if (typeof this.details !== 'object' || this.details === null) return undefined;
    const value = (this.details as Record<string, unknown>)[key];
    return typeof value === 'number' ? value : undefined;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

const issuesSchema = z.object({
  issues: z.array(z.object({ field: z.string(), message: z.string() })),
});

function codeForStatus(status: number): ErrorCode {
  if (status === 400) return 'invalid';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate_limited';
  if (status === 502 || status === 503 || status === 504) return 'unavailable';
  return 'internal';
}

/** Turns a non-2xx response body (JSON or not) into an ApiError. Exported for tests. */
export function errorFromBody(status: number, text: string): ApiError {
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const parsed = errorBodySchema.safeParse(json);
  if (!parsed.success) {
    const message =
      status >= 500 ? `The server could not answer (HTTP ${status})` : `Request failed (HTTP ${status})`;
    return new ApiError(status, codeForStatus(status), message);
  }
  const { code, message, details } = parsed.data.error;
  const issues = issuesSchema.safeParse(details);
  return new ApiError(status, code, message, details, issues.success ? issues.data.issues : []);
}

export interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

async function send(method: Method, path: string, options: RequestOptions): Promise<Response> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
  };
  if (options.signal) init.signal = options.signal;
  if (options.body !== undefined) {
    init.headers = { accept: 'application/json', 'content-type': 'application/json' };
    init.body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'Cannot reach the Porthole server. Check your connection.');
  }
  if (!response.ok) throw errorFromBody(response.status, await response.text().catch(() => ''));
  return response;
}

/** A JSON call whose answer is parsed with a contracts schema; a mismatch is an error, never a guess. */
export async function request<S extends z.ZodType>(
  method: Method,
  path: string,
  schema: S,
  options: RequestOptions = {},
): Promise<z.infer<S>> {
  const response = await send(method, path, options);
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError(response.status, 'bad_response', 'The server sent an unexpected answer.');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    console.error('response did not match its contract', path, parsed.error.issues);
    throw new ApiError(response.status, 'bad_response', 'The server sent an unexpected answer.');
  }
  return parsed.data;
}

/** A call whose answer carries no body we need (204s, or bodies we do not read). */
export async function requestVoid(method: Method, path: string, options: RequestOptions = {}): Promise<void> {
  await send(method, path, options);
}

/** Short human text for an error caught anywhere in the app. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return 'Something went wrong.';
}
