import { resolve } from 'node:path';
import {
  openConfiguredDatabase,
  prepareDatabase,
  RegistrationTokens,
  rotateGrantSigningKey,
  SystemSettingsRepo,
  systemContext,
} from '@porthole/server';
import { ConfigError } from '../config/options.js';
import { commonOptions } from '../config/server-options.js';
import { createLogger, resolveLogFormat } from '../logger.js';
import { runCommand } from '../run-command.js';

export const summary = 'rotate the grant signing key or the agent registration token';

const usage = `Usage:
  porthole secrets rotate-grant-key
  porthole secrets rotate-registration-token`;

const actions = ['rotate-grant-key', 'rotate-registration-token'] as const;
type Action = (typeof actions)[number];

function isAction(value: string | undefined): value is Action {
  return (actions as readonly (string | undefined)[]).includes(value);
}

export function run(argv: string[]): Promise<number> {
  return runCommand(
    'secrets',
    usage,
    commonOptions,
    argv,
    async (values, positionals) => {
      const action = positionals[0];
      if (!isAction(action)) {
        throw new ConfigError(
          `expected ${actions.map((a) => `'${a}'`).join(' or ')}, got '${action ?? ''}'\n${usage}`,
        );
      }
      const logger = createLogger(
        values['log-level'] === 'info' ? 'warn' : (values['log-level'] as string),
        resolveLogFormat(values['log-format'], Boolean(process.stdout.isTTY)),
      );
      const dataDir = resolve(values['data-dir'] as string);
      // Beside a running `porthole up`, this talks to its embedded database instead of starting one.
      const db = await openConfiguredDatabase(
        { databaseUrl: values['database-url'] as string | undefined, dataDir, share: true, poolSize: 2 },
        logger,
      );
      try {
        await prepareDatabase(db.db, { dataDir, adminPassword: process.env.PORTHOLE_ADMIN_PASSWORD }, logger);
        const settings = new SystemSettingsRepo(db.db);
        if (action === 'rotate-grant-key') {
          const key = await rotateGrantSigningKey(settings);
          // Only the public half is printed: it is what an operator compares with agents' agent.json.
          process.stdout.write(
            `grant signing key rotated at ${key.rotatedAt}\n` +
              `public key ${key.fingerprint}\n` +
              'running servers load it within 2 s; agents get it at their next check-in\n',
          );
        } else {
          const token = await new RegistrationTokens(settings).rotate(systemContext('porthole secrets'));
          // The token is the output: a new agent is started with it. The old one stops working now.
          process.stdout.write(`${token.token}\n`);
        }
        return 0;
      } finally {
        await db.close();
      }
    },
    1,
  );
}
