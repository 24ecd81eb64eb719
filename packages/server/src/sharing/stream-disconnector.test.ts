import { describe, expect, it } from 'vitest';
import { AgentCallError } from '../agents/agent-client.js';
import { AgentStreamDisconnector } from './stream-disconnector.js';

const AGENT = { id: 'agent-1', url: 'http://127.0.0.1:1' };

const NOW = new Date('2026-11-29T12:00:00Z');

function setup(answer: () => Promise<{ closed: number }>, pendingFails = false) {
  const calls: unknown[] = [];
  const warnings: object[] = [];
  const kept: unknown[] = [];
  const d = new AgentStreamDisconnector({
    pending: {
      add: async (agentId, sessionId, target, before) => {
        if (pendingFails) throw new Error('postgres is down');
        kept.push({ agentId, sessionId, target, before });
      },
    },
    clock: { now: () => NOW },
    agents: { find: async (id) => (id === AGENT.id ? AGENT : undefined) },
    client: {
      disconnect: async (agent, sessionId, target) => {
        calls.push({ agent: agent.id, sessionId, target });
        return answer();
      },
    },
    log: { info: () => undefined, warn: (obj) => warnings.push(obj) },
  });
  return { d, calls, warnings, kept };
}

describe('AgentStreamDisconnector', () => {
  it("asks the session's agent and answers how many streams closed", async () => {
    const { d, calls } = setup(async () => ({ closed: 2 }));
    expect(await d.disconnect({ id: 's1', agent_id: AGENT.id }, { allExceptOwner: true })).toBe(2);
    expect(calls).toEqual([{ agent: AGENT.id, sessionId: 's1', target: { allExceptOwner: true } }]);
  });

  it('an unreachable agent is not an error: the disconnect waits for its next check-in', async () => {
    const { d, warnings, kept } = setup(async () => {
      throw new AgentCallError('agent unreachable: ECONNREFUSED', 0);
    });
    expect(await d.disconnect({ id: 's1', agent_id: AGENT.id }, { userId: 'u1' })).toBeNull();
    expect(kept).toEqual([{ agentId: AGENT.id, sessionId: 's1', target: { userId: 'u1' }, before: NOW }]);
    expect(warnings).toMatchObject([{ sessionId: 's1', agentId: AGENT.id, userId: 'u1', kept: true }]);
  });

  it('when even keeping it fails, it is logged, not thrown (new streams are refused already)', async () => {
    const { d, warnings, kept } = setup(async () => {
      throw new AgentCallError('agent unreachable: ECONNREFUSED', 0);
    }, true);
    expect(await d.disconnect({ id: 's1', agent_id: AGENT.id }, { allExceptOwner: true })).toBeNull();
    expect(kept).toEqual([]);
    expect(warnings).toMatchObject([{ sessionId: 's1', kept: false }]);
  });

  it('a session without an agent (or whose agent is gone) has nothing to close', async () => {
    const { d, calls } = setup(async () => ({ closed: 9 }));
    expect(await d.disconnect({ id: 's1', agent_id: null }, { userId: 'u1' })).toBe(0);
    expect(await d.disconnect({ id: 's1', agent_id: 'gone' }, { userId: 'u1' })).toBe(0);
    expect(calls).toEqual([]);
  });
});
