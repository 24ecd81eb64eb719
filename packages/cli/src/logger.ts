import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormat } from './config/log-format.js';

export { type LogFormat, logFormatOption, resolveLogFormat } from './config/log-format.js';

export function createLogger(
  level: string,
  format: LogFormat,
  options: { name?: string; destination?: DestinationStream } = {},
): Logger {
  const base = {
    level,
    name: options.name ?? 'porthole',
    redact: ['req.headers.cookie', 'req.headers.authorization', '*.password'],
  };
  if (format === 'pretty') {
    return pino(
      base,
      pretty({
        colorize: options.destination ? false : Boolean(process.stdout.isTTY),
        translateTime: 'HH:MM:ss',
        ignore: 'pid,hostname',
        // Fields on the same line: an image build step or a warning stays one line on a terminal.
        singleLine: true,
        ...(options.destination ? { destination: options.destination, sync: true } : {}),
      }),
    );
  }
  return options.destination ? pino(base, options.destination) : pino(base);
}
