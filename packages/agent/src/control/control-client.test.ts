import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AgentCheckinRequest } from '@porthole/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlaneClient, ControlPlaneError } from './control-client.js';

const report: AgentCheckinRequest = {
  version: '0.1.0',
  resources: {
    cores: 1,
    memoryBytes: 1,
    memoryFreeBytes: 1,
    diskFreeBytes: null,
    load1: 0,
    dockerVersion: 'x',
  },
  sessions: [],
  images: [],
};
const answer = { images: [], removeSessions: [], checkinIntervalSeconds: 5, grantPublicKey: 'PEM' };

let dir: string;
let cert: string;
let key: string;
const servers: Server[] = [];
const seen: Array<{ authorization: string | undefined; body: string }> = [];
let connections = 0;

function handler(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.on('data', (chunk: Buffer) => {
    body += chunk.toString('utf8');
  });
  req.on('end', () => {
    seen.push({ authorization: req.headers.authorization, body });
    const status = req.headers.authorization?.endsWith(':wrong') ? 401 : 200;
    const text =
      status === 401
        ? JSON.stringify({ error: { code: 'unauthorized', message: 'agent credentials are not valid' } })
        : JSON.stringify(answer);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(text);
  });
}

async function listen(server: Server): Promise<number> {
  servers.push(server);
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'porthole-agent-tls-'));
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=porthole-test',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
  ]);
  cert = await readFile(join(dir, 'cert.pem'), 'utf8');
  key = await readFile(join(dir, 'key.pem'), 'utf8');
});

afterAll(async () => {
  for (const server of servers) server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('ControlPlaneClient', () => {
  it('trusts a self-signed server only with --server-ca, and reuses one connection', async () => {
    const port = await listen(createHttpsServer({ cert, key }, handler));
    const url = `https://127.0.0.1:${port}`;
    const untrusting = new ControlPlaneClient({ serverUrl: url });
    const refused = await untrusting.checkin({ agentId: 'a', secret: 's' }, report).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ControlPlaneError);
    expect(refused).toMatchObject({ status: 0, message: expect.stringMatching(/certificate/i) });
    untrusting.close();

    const client = new ControlPlaneClient({ serverUrl: url, ca: cert });
    const before = connections;
    for (let i = 0; i < 3; i++)
      // A server that sends no `disconnects` (an older one) means none.
      expect(await client.checkin({ agentId: 'a', secret: 's' }, report)).toEqual({
        ...answer,
        disconnects: [],
      });
    expect(connections - before).toBe(1);
    expect(seen.at(-1)).toEqual({ authorization: 'Agent a:s', body: JSON.stringify(report) });
    client.close();
  });

  it("reports the server's refusal with its status and message", async () => {
    const port = await listen(createHttpServer(handler));
    const client = new ControlPlaneClient({ serverUrl: `http://127.0.0.1:${port}/` });
    const error = await client.checkin({ agentId: 'a', secret: 'wrong' }, report).catch((e: unknown) => e);
    expect(error).toMatchObject({
      status: 401,
      message: expect.stringContaining('agent credentials are not valid'),
    });
    client.close();
  });

  it('says the server is unreachable with status 0', async () => {
    const port = await listen(createHttpServer(handler));
    servers.pop()?.close();
    await new Promise((r) => setTimeout(r, 20));
    const client = new ControlPlaneClient({ serverUrl: `http://127.0.0.1:${port}`, timeoutMs: 2_000 });
    await expect(client.checkin({ agentId: 'a', secret: 's' }, report)).rejects.toMatchObject({
      status: 0,
      message: expect.stringContaining('ECONNREFUSED'),
    });
    client.close();
  });

  it('refuses an answer that does not match the contract', async () => {
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"images":"nope"}');
    });
    const port = await listen(server);
    const client = new ControlPlaneClient({ serverUrl: `http://127.0.0.1:${port}` });
    await expect(client.checkin({ agentId: 'a', secret: 's' }, report)).rejects.toThrow(/unexpected answer/);
    client.close();
  });
});
