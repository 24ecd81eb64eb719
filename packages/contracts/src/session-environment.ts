import { z } from 'zod';

/** What a POSIX shell accepts as a variable name; anything else could not be read in the container. */
export const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Enough for any real integration, small enough that one request cannot bloat a container spec. */
export const SESSION_ENV_MAX_ENTRIES = 64;
export const SESSION_ENV_MAX_VALUE_LENGTH = 4096;

/**
 * Names a session's own environment may not set, because the platform or the image contract
 * decides them: the stream's password and the ids the agent sets, what the workspace images read
 * to lay out the desktop, and the loader's search settings, which would also reach the agent's own
 * `docker exec`s into the container. The server refuses them in a launch; the agent refuses them
 * again at create.
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

/**
 * Extra environment variables for one session's container (`environment` of `request_kasm`): the
 * shape only. Which names the platform keeps for itself is a rule of the session service.
 */
export const sessionEnvironmentSchema = z
  .record(
    z.string(),
    z
      .string({ error: 'must be a string' })
      .max(SESSION_ENV_MAX_VALUE_LENGTH, `must be at most ${SESSION_ENV_MAX_VALUE_LENGTH} characters`),
  )
  // Keys are checked here rather than with a key schema: zod reports a bad record key only as
  // "Invalid key in record", and a client needs to hear which rule the name broke.
  .superRefine((env, ctx) => {
    const names = Object.keys(env);
    if (names.length > SESSION_ENV_MAX_ENTRIES) {
      ctx.addIssue({ code: 'custom', message: `must hold at most ${SESSION_ENV_MAX_ENTRIES} variables` });
    }
    for (const name of names) {
      if (!envNamePattern.test(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)',
        });
      }
    }
  })
  .describe(
    `Extra environment variables for the session's container: names [A-Za-z_][A-Za-z0-9_]*, at most ${SESSION_ENV_MAX_ENTRIES}, values at most ${SESSION_ENV_MAX_VALUE_LENGTH} characters; names the platform sets (${RESERVED_SESSION_ENV.join(', ')}, ${RESERVED_SESSION_ENV_PREFIXES.map((p) => `${p}*`).join(', ')}) are refused`,
  );
export type SessionEnvironment = z.infer<typeof sessionEnvironmentSchema>;
