import { agentCheckinRequestSchema } from '@porthole/contracts';
import { describe, expect, it } from 'vitest';
import { buildCheckinRequest } from './payload.js';

const resources = {
  cores: 8,
  memoryBytes: 16e9,
  memoryFreeBytes: 8e9,
  diskFreeBytes: 100e9,
  load1: 0.5,
  dockerVersion: '27.1.0',
};

describe('buildCheckinRequest', () => {
  it('yields a body the server accepts, sessions sorted by id', () => {
    const body = buildCheckinRequest({
      version: '0.1.0',
      resources,
      sessions: [
        { sessionId: 'b', containerId: 'c2', state: 'running', hostPort: 40001, exitCode: null, error: null },
        { sessionId: 'a', containerId: 'c1', state: 'exited', hostPort: 40000, exitCode: 137, error: null },
      ],
      images: [
        { ref: 'porthole/desktop:latest', state: 'present' },
        {
          ref: 'porthole/firefox:latest',
          state: 'pulling',
          layersDone: 1,
          layersTotal: 3,
          bytesDone: 10,
          bytesTotal: 30,
        },
      ],
    });
    expect(agentCheckinRequestSchema.safeParse(body).success).toBe(true);
    expect(body.sessions.map((s) => s.sessionId)).toEqual(['a', 'b']);
    // An exited container holds no port; reporting a stale one would mislead the proxy.
    expect(body.sessions[0]?.hostPort).toBeNull();
    expect(body.sessions[0]?.exitCode).toBe(137);
    expect(body.sessions[1]?.hostPort).toBe(40001);
    expect(body.images[1]).toMatchObject({ state: 'pulling', layersDone: 1, bytesTotal: 30 });
  });

  it('bounds messages and versions to what the contract allows', () => {
    const body = buildCheckinRequest({
      version: 'v'.repeat(100),
      resources,
      sessions: [
        { sessionId: 'a', containerId: 'c', state: 'dead', hostPort: null, error: 'e'.repeat(5000) },
      ],
      images: [{ ref: 'x:1', state: 'error', message: 'm'.repeat(5000) }],
    });
    expect(agentCheckinRequestSchema.safeParse(body).success).toBe(true);
    expect(body.version).toHaveLength(64);
    expect(body.images[0]?.message).toHaveLength(2000);
  });
});
