/**
 * Whether an error means the database cannot be reached right now (down, restarting, refusing
 * connections), as opposed to a bug or a bad query. Such requests answer 503 with a retry hint,
 * not 500: nothing is wrong with the request, and it will work once the database is back.
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);
/** SQLSTATEs: admin/crash shutdown, starting up, too many connections. */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
const MESSAGES = [
  /^Connection terminated/i,
  /^timeout exceeded when trying to connect/i,
  /^Client has encountered a connection error/i,
  /^the database system is (starting up|shutting down|in recovery mode)/i,
];

export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 3) return false;
  const { code, syscall } = err as Error & { code?: unknown; syscall?: unknown };
  if (typeof code === 'string') {
    if (SQLSTATES.has(code) || code.startsWith('08')) return true;
    // pg's own socket errors carry the syscall; fetch and others wrap theirs in a TypeError.
    if (NETWORK_CODES.has(code) && (syscall === 'connect' || syscall === 'read' || syscall === 'write'))
      return true;
  }
  if (MESSAGES.some((m) => m.test(err.message))) return true;
  return isDatabaseUnavailable((err as Error & { cause?: unknown }).cause, depth + 1);
}

export const DATABASE_UNAVAILABLE_MESSAGE = 'the database is unavailable right now; try again shortly';
