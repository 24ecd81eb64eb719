import { isReservedSessionEnv, type SessionEnvironment } from '@porthole/contracts';
import { InvalidError } from '../errors.js';

/** Refuses reserved names with a 400 naming every offending `environment.<NAME>`. */
export function checkSessionEnvironment(env: SessionEnvironment | undefined): void {
  if (!env) return;
  const issues = Object.keys(env)
    .filter(isReservedSessionEnv)
    .map((name) => ({
      field: `environment.${name}`,
      message: 'is set by the platform and cannot be overridden',
    }));
  const first = issues[0];
  if (first) throw new InvalidError(`${first.field}: ${first.message}`, { issues });
}
