import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { openWebSocket } from '../../../stream/src/testkit/ws-client.js';
import { AllowedOrigins } from './origin.js';
import { UpgradeRouter } from './upgrade-router.js';

const app = Fastify();
const warnings: Array<Record<string, unknown>> = [];
const handled: string[] = [];
const origins = new AllowedOrigins();
const router = new UpgradeRouter({
  origins,
  log: { warn: (obj) => warnings.push(obj as Record<string, unknown>) },
});
router.add(
  (path) => path === '/socket',
  (req, socket) => {
    handled.push(req.url ?? '');
    socket.end('HTTP/1.1 418 Claimed\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
  },
);
router.attach(app);
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
const own = `http://127.0.0.1:${port}`;
origins.add([own]);
afterAll(() => app.close());

describe('UpgradeRouter', () => {
  it('hands an upgrade from an allowed origin to its endpoint', async () => {
    await expect(openWebSocket(`ws://127.0.0.1:${port}/socket`, { origin: own })).rejects.toThrow(
      'status 418',
    );
    expect(handled).toEqual(['/socket']);
  });

  it('refuses any other origin (403) before the endpoint sees it, with one warn line', async () => {
    warnings.length = 0;
    handled.length = 0;
    await expect(
      openWebSocket(`ws://127.0.0.1:${port}/socket?x=1`, { origin: 'https://evil.example' }),
    ).rejects.toThrow('status 403');
    expect(handled).toEqual([]);
    expect(warnings).toEqual([{ path: '/socket', origin: 'https://evil.example' }]);
  });

  it('still answers 404 for a path nobody claims', async () => {
    await expect(openWebSocket(`ws://127.0.0.1:${port}/nothing`, { origin: own })).rejects.toThrow(
      'status 404',
    );
  });
});
