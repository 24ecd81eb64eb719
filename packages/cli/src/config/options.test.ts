import { describe, expect, it } from 'vitest';
import { ConfigError, checks, formatHelp, type OptionSpec, resolveOptions } from './options.js';
import { commonOptions, serverOptions, toServerConfig } from './server-options.js';

const resolveServer = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const { values } = resolveOptions(serverOptions, argv, env);
  return toServerConfig(values, env);
};

/** The one line a ConfigError carries, or a failure when none is thrown. */
function configError(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('values that start with a dash', () => {
  it('says to write them with =, and takes them so', () => {
    expect(configError(() => resolveServer(['--host', '-x']))).toMatch(
      /^Option '--host' argument is ambiguous\. .*use '--host=-XYZ'\.$/,
    );
    expect(resolveServer(['--host=-x']).host).toBe('-x');
  });
});

describe('resolveOptions precedence', () => {
  it('takes the flag over the environment over the default', () => {
    expect(resolveServer([]).port).toBe(8443);
    expect(resolveServer([], { PORTHOLE_PORT: '9000' }).port).toBe(9000);
    expect(resolveServer(['--port', '9100'], { PORTHOLE_PORT: '9000' }).port).toBe(9100);
    expect(resolveServer(['--port=9200']).port).toBe(9200);
  });

  it('treats an empty environment variable as unset', () => {
    expect(resolveServer([], { PORTHOLE_HOST: '' }).host).toBe('127.0.0.1');
    expect(resolveServer([], { DATABASE_URL: '' }).databaseUrl).toBeUndefined();
  });

  it('reads booleans from flags and from the usual environment spellings', () => {
    expect(resolveServer([]).tls).toEqual({ mode: 'self-signed' });
    expect(resolveServer(['--insecure-http']).tls).toEqual({ mode: 'none' });
    for (const yes of ['1', 'true', 'YES', 'on'])
      expect(resolveServer([], { PORTHOLE_INSECURE_HTTP: yes }).tls).toEqual({ mode: 'none' });
    for (const no of ['0', 'false', 'No', 'off'])
      expect(resolveServer([], { PORTHOLE_INSECURE_HTTP: no }).tls).toEqual({ mode: 'self-signed' });
    expect(configError(() => resolveServer([], { PORTHOLE_INSECURE_HTTP: 'maybe' }))).toBe(
      "invalid PORTHOLE_INSECURE_HTTP: expected true or false, got 'maybe'",
    );
  });

  it('resolves the data dir to an absolute path and keeps database and redis URLs', () => {
    const c = resolveServer(['--data-dir', 'rel/dir', '--redis-url', 'redis://127.0.0.1:6379'], {
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
    });
    expect(c.dataDir).toBe(`${process.cwd()}/rel/dir`);
    expect(c.databaseUrl).toBe('postgres://u:p@127.0.0.1:5432/db');
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
  });

  it('takes the metrics token from the flag or PORTHOLE_METRICS_TOKEN, and refuses a short one', () => {
    expect(resolveServer([]).metricsToken).toBeUndefined();
    expect(resolveServer([], { PORTHOLE_METRICS_TOKEN: 'a-long-enough-token' }).metricsToken).toBe(
      'a-long-enough-token',
    );
    expect(resolveServer(['--metrics-token', 'another-long-token']).metricsToken).toBe('another-long-token');
    expect(configError(() => resolveServer([], { PORTHOLE_METRICS_TOKEN: 'short' }))).toBe(
      'invalid PORTHOLE_METRICS_TOKEN: must be at least 16 characters, no spaces',
    );
  });

  it('trusts forwarded headers only with --behind-proxy', () => {
    expect(resolveServer([]).trustedProxies).toEqual([]);
    expect(resolveServer(['--behind-proxy']).trustedProxies).toEqual(['127.0.0.1', '::1']);
    expect(
      resolveServer(['--behind-proxy', '--trusted-proxies', ' 10.0.0.0/8 , ,192.168.1.1']).trustedProxies,
    ).toEqual(['10.0.0.0/8', '192.168.1.1']);
  });

  it('keeps positionals apart from options and reports --help', () => {
    const r = resolveOptions(commonOptions, ['create', '--log-level', 'warn', '--help'], {});
    expect(r.positionals).toEqual(['create']);
    expect(r.help).toBe(true);
    expect(r.values['log-level']).toBe('warn');
  });
});

describe('resolveOptions errors', () => {
  it('rejects an unknown flag with one line', () => {
    const message = configError(() => resolveOptions(serverOptions, ['--bogus'], {}));
    expect(message).toContain("'--bogus'");
    expect(message).not.toContain('\n');
  });

  it('rejects a bad port from a flag or the environment, naming the source', () => {
    expect(configError(() => resolveServer(['--port', '70000']))).toBe(
      "invalid --port: must be a port number (0-65535), got '70000'",
    );
    expect(configError(() => resolveServer([], { PORTHOLE_PORT: 'http' }))).toMatch(
      /^invalid PORTHOLE_PORT: /,
    );
    expect(configError(() => resolveServer(['--port=-1']))).toMatch(/^invalid --port/);
    expect(configError(() => resolveServer(['--port', '80.5']))).toMatch(/^invalid --port/);
    expect(resolveServer(['--port', '0']).port).toBe(0);
  });

  it('rejects a malformed or non-postgres DATABASE_URL', () => {
    expect(configError(() => resolveServer([], { DATABASE_URL: 'not a url' }))).toBe(
      'invalid DATABASE_URL: is not a valid URL',
    );
    expect(configError(() => resolveServer([], { DATABASE_URL: 'mysql://h/db' }))).toBe(
      'invalid DATABASE_URL: must be a postgres: or postgresql:// URL',
    );
    expect(configError(() => resolveServer(['--database-url', 'postgres:///db']))).toMatch(
      /^invalid --database-url: /,
    );
    expect(resolveServer([], { DATABASE_URL: 'postgresql://h/db' }).databaseUrl).toBe('postgresql://h/db');
  });

  it('rejects a non-redis REDIS_URL and a bad log level', () => {
    expect(configError(() => resolveServer([], { REDIS_URL: 'http://h' }))).toMatch(/^invalid REDIS_URL: /);
    expect(configError(() => resolveServer(['--log-level', 'loud']))).toMatch(/^invalid --log-level: /);
  });

  it('rejects a non-positive session lifetime', () => {
    expect(configError(() => resolveServer(['--session-ttl-hours', '0']))).toMatch(
      /^invalid --session-ttl-hours: must be a positive number/,
    );
    expect(resolveServer(['--session-ttl-hours', '0.5']).sessionTtlHours).toBe(0.5);
  });
});

describe('origins', () => {
  it('keeps the public URL’s origin and the extra origins, normalised', () => {
    const c = resolveServer(['--public-url', 'HTTPS://Porthole.example.com:443/'], {
      PORTHOLE_ALLOWED_ORIGINS: 'https://a.example:8443, http://b.example',
    });
    expect(c.publicUrl).toBe('https://porthole.example.com');
    expect(c.allowedOrigins).toEqual(['https://a.example:8443', 'http://b.example']);
    expect(resolveServer([]).publicUrl).toBeUndefined();
    expect(resolveServer([]).allowedOrigins).toBeUndefined();
  });

  it('rejects a public URL with a path and an origin that is not scheme://host[:port], in one line', () => {
    expect(configError(() => resolveServer(['--public-url', 'https://h.example/porthole']))).toBe(
      "invalid --public-url: must be scheme://host[:port] with no path, got 'https://h.example/porthole'",
    );
    expect(configError(() => resolveServer([], { PORTHOLE_PUBLIC_URL: 'porthole.example.com' }))).toMatch(
      /^invalid PORTHOLE_PUBLIC_URL: /,
    );
    for (const bad of ['https://a.example/', 'https://a.example/x', 'ftp://a.example', 'a.example', ' , '])
      expect(
        configError(() => resolveServer(['--allowed-origins', bad])),
        bad,
      ).toMatch(/^invalid --allowed-origins: [^\n]+$/);
    expect(
      configError(() => resolveServer([], { PORTHOLE_ALLOWED_ORIGINS: 'https://ok.example,https://x/y' })),
    ).toBe(
      "invalid PORTHOLE_ALLOWED_ORIGINS: 'https://x/y' is not an origin: must be http(s)://host[:port] with no path",
    );
  });
});

describe('toServerConfig', () => {
  it('needs --tls-cert and --tls-key together', () => {
    expect(configError(() => resolveServer(['--tls-cert', 'c.pem']))).toBe(
      'invalid --tls-key: --tls-cert and --tls-key go together',
    );
    expect(configError(() => resolveServer([], { PORTHOLE_TLS_KEY: 'k.pem' }))).toBe(
      'invalid --tls-cert: --tls-cert and --tls-key go together',
    );
    expect(resolveServer(['--tls-cert', 'c.pem', '--tls-key', 'k.pem']).tls).toEqual({
      mode: 'files',
      certFile: `${process.cwd()}/c.pem`,
      keyFile: `${process.cwd()}/k.pem`,
    });
  });

  it('takes the first admin password from the environment, at least 8 characters', () => {
    expect(resolveServer([]).adminPassword).toBeUndefined();
    expect(resolveServer([], { PORTHOLE_ADMIN_PASSWORD: 'long-enough' }).adminPassword).toBe('long-enough');
    expect(configError(() => resolveServer([], { PORTHOLE_ADMIN_PASSWORD: 'short' }))).toBe(
      'invalid PORTHOLE_ADMIN_PASSWORD: must be at least 8 characters',
    );
  });
});

describe('checks and help', () => {
  it('accepts exactly the integer ports 0-65535', () => {
    expect(checks.port('65535')).toBeUndefined();
    expect(checks.port('65536')).toBeDefined();
    expect(checks.port('0')).toBeUndefined();
  });

  it('lists every flag with its environment variable and default', () => {
    const specs: OptionSpec[] = [
      { flag: 'alpha', env: 'ALPHA', type: 'string', default: 'a', description: 'first' },
      { flag: 'beta', type: 'boolean', description: 'second' },
    ];
    const help = formatHelp('Usage: x', specs);
    expect(help).toMatch(/--alpha <value>\s+first \(env ALPHA, default a\)/);
    expect(help).toMatch(/--beta\s+second\n/);
    expect(help).toContain('--help');
  });
});
