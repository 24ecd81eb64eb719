import { parseArgs } from 'node:util';

/** One configuration option: its flag, its environment variable, its default and meaning. */
export interface OptionSpec {
  flag: string;
  env?: string;
  type: 'string' | 'boolean';
  default?: string;
  description: string;
  /** Returns an error message when the value is not acceptable. */
  check?: (value: string) => string | undefined;
}

export class ConfigError extends Error {}

export type OptionValues = Record<string, string | boolean | undefined>;

/** Flags first, then environment, then defaults; unknown flags and bad values are one-line errors. */
export function resolveOptions(
  specs: OptionSpec[],
  argv: string[],
  env: NodeJS.ProcessEnv,
): { values: OptionValues; positionals: string[]; help: boolean } {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const s of specs) options[s.flag] = { type: s.type };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new ConfigError(err instanceof Error ? parseErrorLine(err.message) : String(err));
  }
  const values: OptionValues = {};
  for (const s of specs) {
    const fromFlag = parsed.values[s.flag];
    const fromEnv = s.env ? env[s.env] : undefined;
    let value: string | boolean | undefined;
    let source = `--${s.flag}`;
    if (fromFlag !== undefined) value = fromFlag as string | boolean;
    else if (fromEnv !== undefined && fromEnv !== '') {
      source = `${s.env}`;
      value = s.type === 'boolean' ? parseBool(fromEnv, source) : fromEnv;
    } else value = s.type === 'boolean' ? s.default === 'true' : s.default;
    if (typeof value === 'string' && s.check) {
      const problem = s.check(value);
      if (problem) throw new ConfigError(`invalid ${source}: ${problem}`);
    }
    values[s.flag] = value;
  }
  return { values, positionals: parsed.positionals, help: parsed.values.help === true };
}

function parseBool(raw: string, source: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`invalid ${source}: expected true or false, got '${raw}'`);
}

export function formatHelp(usage: string, specs: OptionSpec[]): string {
  const rows = specs.map((s) => {
    const flag = `--${s.flag}${s.type === 'string' ? ' <value>' : ''}`;
    const extra = [s.env ? `env ${s.env}` : '', s.default !== undefined ? `default ${s.default}` : '']
      .filter(Boolean)
      .join(', ');
    return `  ${flag.padEnd(30)} ${s.description}${extra ? ` (${extra})` : ''}`;
  });
  return `${usage}\n\nOptions:\n${rows.join('\n')}\n  ${'--help'.padEnd(30)} show this help\n`;
}

export const checks = {
  port: (v: string) => {
    const n = Number(v);
    return Number.isInteger(n) && n >= 0 && n <= 65535
      ? undefined
      : `must be a port number (0-65535), got '${v}'`;
  },
  positiveNumber: (v: string) => {
    const n = Number(v);
    return Number.isFinite(n) && n > 0 ? undefined : `must be a positive number, got '${v}'`;
  },
  url: (protocols: string[]) => (v: string) => {
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol)) return `must be a ${protocols.join(' or ')}// URL`;
      if (!u.hostname) return 'must name a host';
      return undefined;
    } catch {
      return 'is not a valid URL';
    }
  },
  /** A URL people open Porthole at: http(s), a host, nothing after it (Porthole is served at /). */
  publicUrl: (v: string) => {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      return `must be a URL like https://porthole.example.com, got '${v}'`;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      return `must be an http:// or https:// URL, got '${v}'`;
    if (!u.hostname) return 'must name a host';
    if (u.pathname !== '/' || u.search || u.hash || u.username || u.password)
      return `must be scheme://host[:port] with no path, got '${v}'`;
    return undefined;
  },
  /** Comma-separated origins, each exactly scheme://host[:port] (what browsers send as Origin). */
  origins: (v: string) => {
    const items = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (items.length === 0) return 'must list at least one origin (scheme://host[:port])';
    for (const item of items) {
      const shape = /^https?:\/\/[^/?#@\s]+$/i.test(item);
      let parsed = false;
      try {
        parsed = shape && new URL(item).hostname !== '';
      } catch {
        parsed = false;
      }
      if (!parsed) return `'${item}' is not an origin: must be http(s)://host[:port] with no path`;
    }
    return undefined;
  },
  logLevel: (v: string) =>
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(v)
      ? undefined
      : `must be one of fatal, error, warn, info, debug, trace, silent`,
};

/**
 * parseArgs's first line, plus its hint when a value starts with '-' (a token or password can):
 * the first line alone ("argument is ambiguous") does not say what to do.
 */
function parseErrorLine(message: string): string {
  const [first = message, ...rest] = message.split('\n');
  const hint = rest.find((line) => line.startsWith('To specify an option argument starting with a dash'));
  return hint ? `${first} ${hint.replace(/\.?$/, '.')}` : first;
}
