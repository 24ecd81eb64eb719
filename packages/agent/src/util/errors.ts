import type { ErrorCode } from '@porthole/contracts';

const STATUS: Record<ErrorCode, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** A failure the agent API reports as `{ error: { code, message, details? } }`. */
export class AgentError extends Error {
  override readonly name = 'AgentError';
  readonly statusCode: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; statusCode?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.statusCode = options.statusCode ?? STATUS[code];
    this.details = options.details;
  }
}

export function invalidField(field: string, message: string): AgentError {
  return new AgentError('invalid', `${field}: ${message}`, { details: { field } });
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
