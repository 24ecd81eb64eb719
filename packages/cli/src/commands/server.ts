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
    // Taken over before start-up, so a signal while starting still ends in an orderly stop.
    const stopRequested = untilSignal(logger);
    const server = await startServer(config, logger);
    await stopRequested;
    await server.close();
    return 0;
  });
}
