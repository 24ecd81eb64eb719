import { renderNginxConfig } from '@porthole/server';
import { ConfigError, checks, type OptionSpec } from '../config/options.js';
import { runCommand } from '../run-command.js';

export const summary = 'print the production nginx configuration (auth_request in front of agents)';

const specs: OptionSpec[] = [
  {
    flag: 'server-url',
    type: 'string',
    default: 'http://127.0.0.1:8080',
    description: 'where porthole server listens (run it with --insecure-http --behind-proxy)',
    check: checks.url(['http:', 'https:']),
  },
  { flag: 'listen', type: 'string', default: '443', description: 'nginx listen address/port' },
  { flag: 'server-name', type: 'string', default: '_', description: 'nginx server_name' },
  { flag: 'tls-cert', type: 'string', description: 'PEM certificate nginx serves' },
  { flag: 'tls-key', type: 'string', description: 'PEM key for --tls-cert' },
];

export function run(argv: string[]): Promise<number> {
  return runCommand(
    'nginx-config',
    'Usage: porthole nginx-config --tls-cert FILE --tls-key FILE [options]',
    specs,
    argv,
    async (v) => {
      if (!v['tls-cert'] || !v['tls-key']) throw new ConfigError('--tls-cert and --tls-key are required');
      process.stdout.write(
        renderNginxConfig({
          serverUrl: v['server-url'] as string,
          listen: v.listen as string,
          serverName: v['server-name'] as string,
          certFile: v['tls-cert'] as string,
          keyFile: v['tls-key'] as string,
        }),
      );
      return 0;
    },
  );
}
