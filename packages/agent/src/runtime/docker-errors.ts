import { RuntimeError, type RuntimeErrorCode } from './container-runtime.js';

interface DockerishError {
  statusCode?: unknown;
  json?: unknown;
  code?: unknown;
  message?: unknown;
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
]);

export function statusCodeOf(error: unknown): number | null {
  if (typeof error !== 'object' || error === null) return null;
  const status = (error as DockerishError).statusCode;
  return typeof status === 'number' ? status : null;
}

/**
 * The daemon's own words. docker-modem wraps them as "(HTTP code 404) no such container - <daemon
 * message> "; operators need the daemon message (e.g. "manifest unknown"), not the wrapper.
 */
export function dockerMessage(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const e = error as DockerishError;
  if (typeof e.json === 'object' && e.json !== null) {
    const message = (e.json as { message?: unknown }).message;
    if (typeof message === 'string' && message !== '') return message;
  }
  const text = typeof e.message === 'string' ? e.message : String(error);
  const wrapped = /^\(HTTP code \d+\) [^-]*- ([\s\S]*)$/.exec(text);
  return (wrapped?.[1] ?? text).trim();
}

function codeFor(status: number | null, error: unknown): RuntimeErrorCode {
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 400) return 'invalid';
  if (status === null && typeof error === 'object' && error !== null) {
    const code = (error as DockerishError).code;
    if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return 'unavailable';
  }
  return 'failed';
}

export function toRuntimeError(error: unknown, action: string): RuntimeError {
  if (error instanceof RuntimeError) return error;
  const status = statusCodeOf(error);
  const code = codeFor(status, error);
  const detail =
    code === 'unavailable' ? `Docker daemon unreachable (${dockerMessage(error)})` : dockerMessage(error);
  return new RuntimeError(code, `${action}: ${detail}`, status, { cause: error });
}

/** Runs a Docker call, treating the listed HTTP statuses as success (idempotent operations). */
export async function dockerCall<T>(
  action: string,
  call: () => Promise<T>,
  okStatuses: number[] = [],
): Promise<T | null> {
  try {
    return await call();
  } catch (error) {
    const status = statusCodeOf(error);
    if (status !== null && okStatuses.includes(status)) return null;
    throw toRuntimeError(error, action);
  }
}
