import { startAgent } from '@porthole/agent';
import { agentOptions, toAgentConfig } from '../config/agent-options.js';
import { createLogger, resolveLogFormat } from '../logger.js';
import { runCommand } from '../run-command.js';
import { untilSignal } from '../signals.js';

export const summary = 'run an agent on a Docker host';

const usage = `Usage: porthole agent --server-url URL [--token TOKEN] [options]

Registers with the server (once; the identity is kept in --state-dir), checks in every few
seconds, pulls the enabled workspace images and runs session containers on this Docker host.`;

export function run(argv: string[]): Promise<number> {
  return runCommand('agent', usage, agentOptions, argv, async (values) => {
    const config = toAgentConfig(values);
    const format = resolveLogFormat(values['log-format'], Boolean(process.stdout.isTTY));
    const logger = createLogger(values['log-level'] as string, format, { name: 'porthole-agent' });
    const agent = await startAgent(config, logger);
    await untilSignal(logger);
    await agent.close();
    return 0;
  });
}
