import { resolve } from 'node:path';
import {
  argon2Hasher,
  openConfiguredDatabase,
  prepareDatabase,
  systemContext,
  UserAdminService,
  UserRepo,
} from '@porthole/server';
import { ConfigError, type OptionSpec } from '../config/options.js';
import { commonOptions } from '../config/server-options.js';
import { createLogger, resolveLogFormat } from '../logger.js';
import { runCommand } from '../run-command.js';

export const summary = 'create users and reset passwords';

const specs: OptionSpec[] = [
  { flag: 'email', type: 'string', description: 'the user name (an email address)' },
  {
    flag: 'password',
    env: 'PORTHOLE_USER_PASSWORD',
    type: 'string',
    description: 'the password (at least 8 characters)',
  },
  {
    flag: 'admin',
    type: 'boolean',
    default: 'false',
    description: 'with create: make the user an administrator',
  },
  ...commonOptions,
];

const usage = `Usage:
  porthole user create --email <email> --password <password> [--admin]
  porthole user reset-password --email <email> --password <password>`;

export function run(argv: string[]): Promise<number> {
  return runCommand(
    'user',
    usage,
    specs,
    argv,
    async (values, positionals) => {
      const action = positionals[0];
      if (action !== 'create' && action !== 'reset-password') {
        throw new ConfigError(`expected 'create' or 'reset-password', got '${action ?? ''}'\n${usage}`);
      }
      const email = values.email as string | undefined;
      const password = values.password as string | undefined;
      if (!email) throw new ConfigError('missing --email');
      if (!password) throw new ConfigError('missing --password (or PORTHOLE_USER_PASSWORD)');
      const logger = createLogger(
        values['log-level'] === 'info' ? 'warn' : (values['log-level'] as string),
        resolveLogFormat(values['log-format'], Boolean(process.stdout.isTTY)),
      );
      // Beside a running `porthole up`, this talks to its embedded database instead of starting one.
      const db = await openConfiguredDatabase(
        {
          databaseUrl: values['database-url'] as string | undefined,
          dataDir: resolve(values['data-dir'] as string),
          share: true,
          poolSize: 2,
        },
        logger,
      );
      try {
        await prepareDatabase(
          db.db,
          {
            dataDir: resolve(values['data-dir'] as string),
            adminPassword: process.env.PORTHOLE_ADMIN_PASSWORD,
          },
          logger,
        );
        const users = new UserAdminService(new UserRepo(db.db), argon2Hasher);
        const cli = systemContext('porthole user');
        if (action === 'create') {
          const id = await users.create({ username: email, password, admin: values.admin === true }, cli);
          process.stdout.write(`created user ${email} (${id})${values.admin ? ' as administrator' : ''}\n`);
        } else {
          await users.resetPassword(email, password, cli);
          process.stdout.write(`password reset for ${email}\n`);
        }
        return 0;
      } finally {
        await db.close();
      }
    },
    1,
  );
}
