import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

/** JSON logs, pretty-printed when a person is watching the terminal. */
export function createLogger(level: string, name = 'porthole'): Logger {
  const options = { level, name, redact: ['req.headers.cookie', 'req.headers.authorization', '*.password'] };
  if (process.stdout.isTTY)
    return pino(options, pretty({ colorize: true, translateTime: 'HH:MM:ss', ignore: 'pid,hostname' }));
  return pino(options);
}
