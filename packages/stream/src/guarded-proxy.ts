import { createProxyServer, type ProxyServer, type ServerOptions } from 'http-proxy-3';
import {
  answer,
  DEFAULT_STREAM_LIMITS,
  hideUpstreamHeaders,
  StreamGuard,
  type StreamLimits,
  UpstreamTimeout,
} from './stream-guard.js';

export interface GuardedProxyOptions {
  limits?: Partial<StreamLimits>;
  log: { warn(obj: object, msg: string): void };
  /** What the upstream is called in errors the browser sees: `agent` (proxy) or `session` (gateway). */
  upstream: string;
  /** Passed on to http-proxy-3 (e.g. `xfwd`). */
  options?: ServerOptions;
}

export interface GuardedProxy {
  proxy: ProxyServer;
  guard: StreamGuard;
  limits: StreamLimits;
}

/**
 * An http-proxy-3 relay under a StreamGuard, with the error handling both hops need: a plain
 * request gets a JSON 502; an upgrade not yet switched gets 504 (handshake limit) or 502; an
 * upgraded stream can only be cut. Upstream `WWW-Authenticate`/`Set-Cookie` never pass.
 */
export function createGuardedProxy(opts: GuardedProxyOptions): GuardedProxy {
  const limits = { ...DEFAULT_STREAM_LIMITS, ...opts.limits };
  const guard = new StreamGuard(limits);
  const proxy = createProxyServer({
    secure: false,
    ws: true,
    proxyTimeout: 60_000,
    connectTimeout: limits.connectTimeoutMs,
    ...opts.options,
  });
  guard.attach(proxy);
  const unreachable = `${opts.upstream} is not reachable`;
  proxy.on('proxyRes', (proxyRes) => hideUpstreamHeaders(proxyRes.headers));
  proxy.on('error', (err, _req, res) => {
    opts.log.warn({ err: err.message }, `${opts.upstream} upstream error`);
    if ('writeHead' in res) {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'unavailable', message: unreachable } }));
      } else res.destroy();
    } else if (guard.isUpgraded(res)) res.destroy();
    else if (err instanceof UpstreamTimeout)
      answer(res, 504, 'unavailable', `the ${opts.upstream} did not answer in time`);
    else answer(res, 502, 'unavailable', unreachable);
  });
  return { proxy, guard, limits };
}
