import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type HttpReply, http, SESSION_COOKIE } from '../../support/http.js';
import type { TestNginx } from './nginx.js';
import { RfbClient } from './rfb.js';
import type { StreamStack } from './stack.js';

export type PathName = 'separate' | 'one-hop' | 'nginx';
export const PATH_NAMES: PathName[] = ['separate', 'one-hop', 'nginx'];

/** One way from a browser to the session: its origin and how to switch the stack to it. */
export interface StreamPath {
  name: PathName;
  /** https://… or http://… origin the browser talks to. */
  origin: string;
  ca?: string;
  /** Puts the stack in this configuration (the embedded proxy's local gateway on or off). */
  use(): void;
}

export function streamPaths(stack: StreamStack, nginx: TestNginx): Record<PathName, StreamPath> {
  const proxy = stack.t.server.services.proxy;
  const gateway = stack.agent.gateway;
  return {
    separate: { name: 'separate', origin: stack.t.server.url, use: () => proxy.setLocalGateway(undefined) },
    'one-hop': {
      name: 'one-hop',
      origin: stack.t.server.url,
      // What `porthole up` does: the proxy hands sockets to the agent's gateway in this process.
      use: () =>
        proxy.setLocalGateway({
          agentId: stack.agent.agentId,
          relayUpgrade: (req, socket, head, grant) => gateway.relayUpgrade(req, socket, head, grant),
          handleRequest: (req, res, grant) => gateway.handleRequest(req, res, grant),
          meter: () => gateway.meter(),
        }),
    },
    nginx: {
      name: 'nginx',
      origin: nginx.url,
      ca: nginx.ca,
      use: () => proxy.setLocalGateway(undefined),
    },
  };
}

export function wsUrl(path: StreamPath, suffix: string): string {
  return `${path.origin.replace(/^http/, 'ws')}${suffix}`;
}

/** Opens the session's RFB WebSocket through `path` with `cookie`. */
export function openStream(
  path: StreamPath,
  sessionId: string,
  cookie: string | undefined,
): Promise<RfbClient> {
  return RfbClient.open(wsUrl(path, `/session/${sessionId}/websockify`), {
    ...(cookie !== undefined ? { cookie } : {}),
    ...(path.ca ? { ca: path.ca } : {}),
  });
}

/** A plain GET through `path`, the request target sent byte for byte. */
export function get(
  path: StreamPath,
  target: string,
  cookie: string | undefined,
  headers: Record<string, string> = {},
): Promise<HttpReply> {
  return http(`${path.origin}${target}`, {
    headers: { ...headers, ...(cookie !== undefined ? { cookie: `${SESSION_COOKIE}=${cookie}` } : {}) },
    ...(path.ca ? { ca: path.ca } : {}),
    timeoutMs: 30_000,
  });
}

export interface UpgradeAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A WebSocket upgrade with the request target sent exactly as given (the ws client would
 * normalise `..` and `%2e`): 101 when the proxy switched protocols, else its refusal.
 */
export function rawUpgrade(
  origin: string,
  target: string,
  opts: {
    cookie?: string;
    headers?: Record<string, string>;
    ca?: string;
    /** The Origin line(s) sent: `origin`'s own unless given; null sends none, two values two lines. */
    origin?: string | string[] | null;
  } = {},
): Promise<UpgradeAnswer> {
  const u = new URL(origin);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  const pageOrigin = opts.origin === undefined ? u.origin : opts.origin;
  const headers: Record<string, string | string[]> = {
    ...(pageOrigin === null ? {} : { origin: pageOrigin }),
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-version': '13',
    'sec-websocket-key': randomBytes(16).toString('base64'),
    'sec-websocket-protocol': 'binary',
    ...opts.headers,
  };
  if (opts.cookie !== undefined) headers.cookie = `${SESSION_COOKIE}=${opts.cookie}`;
  return new Promise((resolve, reject) => {
    const req = send({
      host: u.hostname,
      port: u.port,
      path: target,
      method: 'GET',
      headers,
      ...(opts.ca ? { ca: opts.ca } : {}),
    });
    req.setTimeout(15_000, () => req.destroy(new Error(`no answer to the upgrade of ${target}`)));
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
