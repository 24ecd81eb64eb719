import { startServer } from '@porthole/server';
import { serverOptions, toServerConfig } from '../config/server-options.js';
import { createLogger } from '../logger.js';
import { runCommand } from '../run-command.js';
import { untilSignal } from '../signals.js';

export const summary = 'run the API server and manager (with the embedded proxy)';

export function run(argv: string[]): Promise<number> {
  return runCommand('server', 'Usage: porthole server [options]', serverOptions, argv, async (values) => {
    const config = toServerConfig(values, process.env);
    const logger = createLogger(values['log-level'] as string);
    const server = await startServer(config, logger);
    await untilSignal(logger);
    await server.close();
    return 0;
  });
}
