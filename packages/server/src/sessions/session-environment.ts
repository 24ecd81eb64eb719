import type { SessionEnvironment } from '@porthole/contracts';
import { InvalidError } from '../errors.js';

/**
 * Names a session's own environment may not set, because the platform or the image contract
 * decides them: the stream's password and the ids the agent sets (the agent refuses these too),
 * what the workspace images read to lay out the desktop, and the loader's search settings, which
 * would also reach the agent's own `docker exec`s into the container.
 */
export const RESERVED_SESSION_ENV: readonly string[] = [
  'VNC_PW',
  'KASM_ID',
  'KASM_USER',
  'KASM_URL',
  'VNC_RESOLUTION',
  'DISPLAY',
  'HOME',
  'USER',
];

/** Whole families the platform owns: its own switches (PORTHOLE_*) and the dynamic loader's (LD_*). */
export const RESERVED_SESSION_ENV_PREFIXES: readonly string[] = ['PORTHOLE_', 'LD_'];

/** Case-sensitive, as the environment itself is: `home` is not `HOME`. */
export function isReservedSessionEnv(name: string): boolean {
  return RESERVED_SESSION_ENV.includes(name) || RESERVED_SESSION_ENV_PREFIXES.some((p) => name.startsWith(p));
}

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
