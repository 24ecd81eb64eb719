import type { IncomingHttpHeaders } from 'node:http';

const FORWARDING_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'];

function isLoopbackAddress(address: string): boolean {
  const plain = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address;
  if (plain === '::1') return true;
  const parts = plain.split('.');
  return (
    parts.length === 4 && parts[0] === '127' && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)
  );
}

/**
 * Whether a request comes from this machine itself: the TCP peer is loopback (127.0.0.0/8, ::1)
 * and no proxy relayed it. Behind nginx every request's peer is loopback, so a forwarding header
 * (trusted or not) means "someone else, passed on", never "this machine". Used by the metrics
 * endpoints of the server and the agent, which serve a local scraper without credentials.
 */
export function isDirectLoopback(peer: string | undefined, headers: IncomingHttpHeaders): boolean {
  if (!peer || !isLoopbackAddress(peer)) return false;
  return !FORWARDING_HEADERS.some((h) => headers[h] !== undefined);
}
