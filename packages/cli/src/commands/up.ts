import { startServer } from '@porthole/server';
import { serverOptions, toServerConfig } from '../config/server-options.js';
import { createLogger } from '../logger.js';
import { runCommand } from '../run-command.js';
import { untilSignal } from '../signals.js';

export const summary = 'run server, proxy and a local agent on this machine (all-in-one)';

export function run(argv: string[]): Promise<number> {
  return runCommand('up', 'Usage: porthole up [options]', serverOptions, argv, async (values) => {
    const config = toServerConfig(values, process.env);
    const logger = createLogger(values['log-level'] as string);
    const server = await startServer(config, logger);
    await untilSignal(logger);
    await server.close();
    return 0;
  });
}
