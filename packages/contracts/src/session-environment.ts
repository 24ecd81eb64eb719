import { z } from 'zod';

/** What a POSIX shell accepts as a variable name; anything else could not be read in the container. */
export const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Enough for any real integration, small enough that one request cannot bloat a container spec. */
export const SESSION_ENV_MAX_ENTRIES = 64;
export const SESSION_ENV_MAX_VALUE_LENGTH = 4096;

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
    `Extra environment variables for the session's container: names [A-Za-z_][A-Za-z0-9_]*, at most ${SESSION_ENV_MAX_ENTRIES}, values at most ${SESSION_ENV_MAX_VALUE_LENGTH} characters; names the platform sets (VNC_PW, KASM_ID, KASM_USER, KASM_URL, VNC_RESOLUTION, DISPLAY, HOME, USER, PORTHOLE_*, LD_*) are refused`,
  );
export type SessionEnvironment = z.infer<typeof sessionEnvironmentSchema>;
