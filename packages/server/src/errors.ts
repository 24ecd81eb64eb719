import type { ErrorCode } from '@porthole/contracts';

/** Domain errors: services throw these; one error handler maps them to HTTP. */
export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly status: number;
  constructor(
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidError extends DomainError {
  readonly code = 'invalid';
  readonly status = 400;
}
export class UnauthorizedError extends DomainError {
  readonly code = 'unauthorized';
  readonly status = 401;
}
export class ForbiddenError extends DomainError {
  readonly code = 'forbidden';
  readonly status = 403;
}
export class NotFoundError extends DomainError {
  readonly code = 'not_found';
  readonly status = 404;
}
export class ConflictError extends DomainError {
  readonly code = 'conflict';
  readonly status = 409;
}
export class RateLimitedError extends DomainError {
  readonly code = 'rate_limited';
  readonly status = 429;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, { retryAfterSeconds });
  }
}
export class UnavailableError extends DomainError {
  readonly code = 'unavailable';
  readonly status = 503;
}

/** A 400 naming the offending field, shaped like the ones parse() produces. */
export function invalidField(field: string, message: string): InvalidError {
  return new InvalidError(`${field}: ${message}`, { issues: [{ field, message }] });
}

/** Rejects ids that name no row; the message names the field and the first unknown id. */
export function assertAllKnown(field: string, wanted: readonly string[], known: ReadonlySet<string>): void {
  const missing = wanted.find((id) => !known.has(id));
  if (missing !== undefined) throw invalidField(field, `no such id ${missing}`);
}
