import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentRegisterRequest, AgentRegisterResponse } from '@porthole/contracts';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdentityStore } from '../state/identity-store.js';
import { Backoff } from '../util/backoff.js';
import { ControlPlaneError } from './control-client.js';
import { ensureIdentity, RegistrationError } from './registration.js';

const logger = pino({ level: 'silent' });
const answer: AgentRegisterResponse = {
  agentId: '6f1c1a52-7c52-4a38-9a4e-2f9ad7f10e11',
  secret: 's3cret',
  zoneId: 'zone-1',
  grantPublicKey: 'PEM',
};
const request = { token: 'tok', name: 'host-a', url: 'http://127.0.0.1:4444', version: '0.1.0' };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'porthole-agent-reg-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function client(answers: Array<AgentRegisterResponse | Error>) {
  const calls: AgentRegisterRequest[] = [];
  return {
    calls,
    serverUrl: 'http://server/',
    register: async (body: AgentRegisterRequest) => {
      calls.push(body);
      const next = answers.shift();
      if (!next || next instanceof Error) throw next ?? new Error('no more answers');
      return next;
    },
  };
}

describe('ensureIdentity', () => {
  it('registers once, saves agent.json with mode 0600, and reuses it afterwards', async () => {
    const store = new IdentityStore(dir);
    const first = client([answer]);
    const result = await ensureIdentity({ store, client: first, logger }, request);
    expect(result.registered).toBe(true);
    expect(first.calls).toHaveLength(1);
    expect((await stat(store.path)).mode & 0o777).toBe(0o600);
    const second = client([]);
    const again = await ensureIdentity({ store, client: second, logger }, { ...request, token: undefined });
    expect(again).toMatchObject({
      registered: false,
      identity: { agentId: answer.agentId, secret: 's3cret' },
    });
    expect(second.calls).toHaveLength(0);
  });

  it('fails at once with a clear message when the token is refused', async () => {
    const store = new IdentityStore(dir);
    const refused = client([new ControlPlaneError('registration token is not valid', 401)]);
    const error = await ensureIdentity({ store, client: refused, logger }, request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistrationError);
    expect((error as Error).message).toMatch(/refused the registration token \(HTTP 401\)/);
    expect(await store.load()).toBeNull();
  });

  it('waits out an unreachable or failing server', async () => {
    const store = new IdentityStore(dir);
    const flaky = client([
      new ControlPlaneError('cannot reach', 0),
      new ControlPlaneError('HTTP 503', 503),
      answer,
    ]);
    const result = await ensureIdentity(
      { store, client: flaky, logger, backoff: new Backoff(1, 2) },
      request,
    );
    expect(result.registered).toBe(true);
    expect(flaky.calls).toHaveLength(3);
  });

  it('needs a token when nothing is saved', async () => {
    const store = new IdentityStore(dir);
    await expect(
      ensureIdentity({ store, client: client([]), logger }, { ...request, token: undefined }),
    ).rejects.toThrow(/no registration token/);
  });
});
