import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { ProxyServer } from 'http-proxy-3';
import { coalesceWrites } from './coalesce.js';
import { closeFrame, FrameBoundary } from './ws-frames.js';

/** Time limits of a relayed stream (the embedded proxy → agent hop and the gateway → container hop). */
export interface StreamLimits {
  /** TCP connect to the upstream. */
  connectTimeoutMs: number;
  /** From the request until the upstream answers the upgrade (connect, TLS and HTTP in total). */
  handshakeTimeoutMs: number;
  /** An upgraded stream with no byte either way for this long is closed; 0 never. */
  idleTimeoutMs: number;
  /** Once one side of a stream has closed, the other gets this long to flush before it is destroyed. */
  closeGraceMs: number;
  /** TCP keepalive on both sockets of a stream, so a vanished peer is noticed. */
  keepAliveMs: number;
  /** Relaying TLS to TLS, write each event-loop turn's records as one (see `coalesceWrites`). */
  coalesceTlsWrites: boolean;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  connectTimeoutMs: 5_000,
  handshakeTimeoutMs: 15_000,
  // Streams live for hours and a still desktop sends nothing: the same day nginx is given.
  idleTimeoutMs: 24 * 3600_000,
  closeGraceMs: 5_000,
  keepAliveMs: 60_000,
  coalesceTlsWrites: true,
};

/** Upstream response headers a browser must never get from a workspace. */
const HIDDEN_RESPONSE_HEADERS = [
  // A browser would prompt for the container's basic-auth credentials.
  'www-authenticate',
  // A workspace must not set cookies on Porthole's origin.
  'set-cookie',
];

export function hideUpstreamHeaders(headers: IncomingHttpHeaders): void {
  for (const name of HIDDEN_RESPONSE_HEADERS) delete headers[name];
}

interface Tracked {
  peer: Duplex | undefined;
  onActivity: (() => void) | undefined;
  lastRead: number;
  lastTotal: number;
  quietSince: number;
  /** Follows the upstream's frames, for streams that may be cut with a close code (see `cut`). */
  frames: FrameBoundary | undefined;
  /** The upstream 'data' listener that feeds `frames`. */
  follower: ((chunk: Buffer) => void) | undefined;
  cuttable: boolean;
  /** Bytes both ways when tracking began (the request that asked for the upgrade is not relayed). */
  startTotal: number;
}

/** What a guard has carried, for metrics: streams open now and bytes relayed since it was made. */
export interface StreamMeter {
  open: number;
  bytes: number;
}

function counters(socket: Duplex): { read: number; total: number } | null {
  return socket instanceof Socket
    ? { read: socket.bytesRead, total: socket.bytesRead + socket.bytesWritten }
    : null;
}

const REASONS: Record<number, string> = { 502: 'Bad Gateway', 504: 'Gateway Timeout' };

/** Answers a not-yet-upgraded socket with an HTTP error (JSON body) and closes it. */
export function answer(socket: Duplex, status: number, code: string, message: string): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export class UpstreamTimeout extends Error {}

/**
 * Everything around http-proxy-3's WebSocket relay that it does not do itself: a total time limit
 * on the upstream handshake, an idle limit once upgraded, closing the other side (after a grace
 * period) when either side ends, TCP keepalive, activity metering, and closing every stream on
 * shutdown. Byte counters are sampled once a second, so nothing runs per chunk.
 */
export class StreamGuard {
  private readonly streams = new Map<Duplex, Tracked>();
  private readonly upgraded = new WeakSet<Duplex>();
  private sweeper: NodeJS.Timeout | undefined;
  /** Bytes of the streams that have closed; open ones are read from their sockets when asked. */
  private closedBytes = 0;

  constructor(readonly limits: StreamLimits = DEFAULT_STREAM_LIMITS) {}

  get size(): number {
    return this.streams.size;
  }

  /** Read at scrape time rather than per chunk, so metering costs the relay nothing. */
  meter(): StreamMeter {
    let bytes = this.closedBytes;
    for (const [socket, t] of this.streams)
      bytes += Math.max(0, (counters(socket)?.total ?? 0) - t.startTotal);
    return { open: this.streams.size, bytes };
  }

  /** Watches `proxy`'s WebSocket requests (call once per proxy). */
  attach(proxy: ProxyServer): void {
    proxy.on('proxyReqWs', (proxyReq: ClientRequest, _req: IncomingMessage, socket: Duplex) =>
      this.watchHandshake(proxyReq, socket),
    );
  }

  /** Whether `socket` has been switched to the upstream (so errors may no longer answer HTTP). */
  isUpgraded(socket: Duplex): boolean {
    return this.upgraded.has(socket);
  }

  /**
   * Tracks a browser-side socket from now until it closes. `cuttable`: the stream may be ended
   * with a WebSocket close code (`cut`), so the upstream's frame boundaries are followed, a small
   * cost per chunk that streams nobody will cut (the owner's) do not pay.
   */
  track(socket: Duplex, onActivity?: () => void, options: { cuttable?: boolean } = {}): void {
    const c = counters(socket);
    this.streams.set(socket, {
      peer: undefined,
      onActivity,
      lastRead: c?.read ?? 0,
      lastTotal: c?.total ?? 0,
      quietSince: Date.now(),
      frames: undefined,
      follower: undefined,
      cuttable: options.cuttable ?? false,
      startTotal: c?.total ?? 0,
    });
    socket.once('close', () => {
      // A short stream may open and close between two samples: its bytes count all the same.
      const last = this.streams.get(socket);
      const end = counters(socket);
      if (last && end?.read !== last.lastRead) last.onActivity?.();
      if (last && end) this.closedBytes += Math.max(0, end.total - last.startTotal);
      this.streams.delete(socket);
    });
    this.sweeper ??= setInterval(() => this.sweep(), 1000);
    this.sweeper.unref();
  }

  /** Couples two sockets: when either closes, the other ends, and is destroyed after the grace. */
  pair(socket: Duplex, peer: Duplex): void {
    this.upgraded.add(socket);
    const tracked = this.streams.get(socket);
    if (tracked) tracked.peer = peer;
    if (tracked?.cuttable) {
      // Next tick: http-proxy-3 pipes the sockets right after this 'upgrade' listener and starts
      // the flow a tick later, so this listener sees every byte the browser gets, from the first.
      process.nextTick(() => {
        const frames = new FrameBoundary();
        tracked.frames = frames;
        tracked.follower = (chunk: Buffer) => frames.push(chunk);
        peer.on('data', tracked.follower);
      });
    }
    const follow = (other: Duplex) => () => {
      if (other.destroyed) return;
      other.end();
      setTimeout(() => other.destroy(), this.limits.closeGraceMs).unref();
    };
    socket.once('close', follow(peer));
    peer.once('close', follow(socket));
    // TLS on both sides is `porthole up`'s one hop (browser ↔ workspace): 6–20 % less CPU per GB
    // there (bench/proxy, docs/streaming.md); on the gateway's TCP ↔ TLS relay it cost more.
    if (this.limits.coalesceTlsWrites && socket instanceof TLSSocket && peer instanceof TLSSocket) {
      coalesceWrites(socket, peer);
      coalesceWrites(peer, socket);
    }
    // After http-proxy-3's own socket setup, which resets keepalive to the OS default (2 h).
    setImmediate(() => {
      for (const s of [socket, peer])
        if (s instanceof Socket && !s.destroyed) s.setKeepAlive(true, this.limits.keepAliveMs);
    });
  }

  /**
   * Ends an upgraded stream for good with a WebSocket close `code`, so the page can tell a removal
   * from a network drop. With the upstream's frames followed (`cuttable`), the frame in flight is
   * finished first (within the close grace), then the upstream is dropped and the close frame
   * written; otherwise both sides are destroyed (the browser sees 1006). Returns whether it was
   * tracked.
   */
  cut(socket: Duplex, code: number, reason: string): boolean {
    const tracked = this.streams.get(socket);
    if (!tracked) return false;
    const { peer, frames, follower } = tracked;
    if (!peer || !frames || !socket.writable) {
      peer?.destroy();
      socket.destroy();
      return true;
    }
    socket.unpipe(peer);
    peer.unpipe(socket);
    // Whatever the browser still sends (its close reply) is read and dropped, not left queued.
    socket.resume();
    const finish = () => {
      peer.destroy();
      socket.end(closeFrame(code, reason));
      setTimeout(() => socket.destroy(), this.limits.closeGraceMs).unref();
    };
    if (frames.atBoundary) {
      finish();
      return true;
    }
    // The follower has seen every chunk the browser got; from now on this listener forwards only
    // the rest of the frame in flight, then closes.
    const giveUp = setTimeout(() => {
      peer.destroy();
      socket.destroy();
    }, this.limits.closeGraceMs);
    giveUp.unref();
    if (follower) peer.off('data', follower);
    const rest = (chunk: Buffer) => {
      const n = frames.pushToBoundary(chunk);
      if (n > 0) socket.write(n === chunk.length ? chunk : chunk.subarray(0, n));
      if (!frames.atBoundary) return;
      peer.off('data', rest);
      clearTimeout(giveUp);
      finish();
    };
    peer.on('data', rest);
    peer.resume();
    return true;
  }

  /** Destroys every stream (shutdown). */
  closeAll(): void {
    for (const [socket, tracked] of this.streams) {
      this.closedBytes += Math.max(0, (counters(socket)?.total ?? 0) - tracked.startTotal);
      tracked.peer?.destroy();
      socket.destroy();
    }
    this.streams.clear();
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private watchHandshake(proxyReq: ClientRequest, socket: Duplex): void {
    const timer = setTimeout(
      () => proxyReq.destroy(new UpstreamTimeout('the upstream did not answer the upgrade in time')),
      this.limits.handshakeTimeoutMs,
    );
    timer.unref();
    const done = () => clearTimeout(timer);
    proxyReq.once('upgrade', (_res: IncomingMessage, proxySocket: Duplex) => {
      done();
      this.pair(socket, proxySocket);
    });
    proxyReq.once('response', (res: IncomingMessage) => {
      done();
      hideUpstreamHeaders(res.headers);
    });
    proxyReq.once('close', done);
    // The browser left before the upstream answered: stop waiting for it.
    socket.once('close', () => {
      done();
      if (!this.upgraded.has(socket)) proxyReq.destroy();
    });
  }

  private sweep(): void {
    const now = Date.now();
    for (const [socket, t] of this.streams) {
      const c = counters(socket);
      if (!c) continue;
      if (c.read !== t.lastRead) {
        t.lastRead = c.read;
        t.onActivity?.();
      }
      if (c.total !== t.lastTotal) {
        t.lastTotal = c.total;
        t.quietSince = now;
      } else if (this.limits.idleTimeoutMs > 0 && now - t.quietSince >= this.limits.idleTimeoutMs) {
        t.peer?.destroy();
        socket.destroy();
      }
    }
    if (this.streams.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}
