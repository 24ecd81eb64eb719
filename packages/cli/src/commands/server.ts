import { startServer } from '@porthole/server';
import { serverOptions, toServerConfig } from '../config/server-options.js';
import { createLogger, resolveLogFormat } from '../logger.js';
import { runCommand } from '../run-command.js';
import { untilSignal } from '../signals.js';
import { firstAdminLines } from '../startup/banner.js';

export const summary = 'run the API server and manager (with the embedded proxy)';

export function run(argv: string[]): Promise<number> {
  return runCommand('server', 'Usage: porthole server [options]', serverOptions, argv, async (values) => {
    const config = toServerConfig(values, process.env);
    const format = resolveLogFormat(values['log-format'], Boolean(process.stdout.isTTY));
    const logger = createLogger(values['log-level'] as string, format);
    // Taken over before start-up, so a signal while starting still ends in an orderly stop.
    const stopRequested = untilSignal(logger);
    const server = await startServer(config, logger, { printFirstAdmin: false });
    const admin = firstAdminLines(server.firstAdmin);
    // As with `porthole up`: plain text on stderr when stdout carries JSON.
    if (admin.length > 0)
      (format === 'json' ? process.stderr : process.stdout).write(`\n${admin.join('\n')}\n\n`);
    await stopRequested;
    await server.close();
    return 0;
  });
}
