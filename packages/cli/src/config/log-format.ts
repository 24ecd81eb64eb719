import type { OptionSpec } from './options.js';

export type LogFormat = 'pretty' | 'json';

/** Shared by every command that logs (up, server, agent), so the three read the same variable. */
export const logFormatOption: OptionSpec = {
  flag: 'log-format',
  env: 'PORTHOLE_LOG_FORMAT',
  type: 'string',
  description: 'pretty (one readable line per event) or json; unset: pretty on a terminal, json otherwise',
  check: (v) => (v === 'pretty' || v === 'json' ? undefined : `must be pretty or json, got '${v}'`),
};

/** The option's value, or the default: a person at a terminal reads lines, a collector reads JSON. */
export function resolveLogFormat(value: unknown, stdoutIsTTY: boolean): LogFormat {
  if (value === 'pretty' || value === 'json') return value;
  return stdoutIsTTY ? 'pretty' : 'json';
}
