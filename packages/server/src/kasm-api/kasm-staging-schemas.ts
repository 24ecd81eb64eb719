import { z } from 'zod';
import { kasmIdSchema } from './kasm-format.js';

// Request bodies of the zone and staging-config endpoints (Kasm's shapes). Kasm fields Porthole
// cannot honour are named here so a client hears "no" instead of having them silently dropped.

export const zonesBody = z.object({ brief: z.boolean().optional() });

/** Staging expiration: Kasm counts hours; Porthole keeps seconds, from 1 minute to 30 days. */
const expirationHours = z
  .number({ error: 'must be a number of hours' })
  .min(1 / 60, 'must be at least 1/60 hour (one minute)')
  .max(30 * 24, 'must be at most 720 hours (30 days)');

const numSessions = z
  .number({ error: 'must be a whole number' })
  .int('must be a whole number')
  .min(0, 'must be at least 0')
  .max(1000, 'must be at most 1000');

/** A field that may only be absent or null, with why Porthole cannot apply a value. */
function refused(why: string) {
  return z
    .unknown()
    .refine((v) => v === null || v === undefined, why)
    .optional()
    .describe(`Refused unless null: ${why}.`);
}

const PER_USER =
  "Porthole cannot apply this per staging config: the claiming user's group settings decide it when the kasm is assigned";

/** Kasm's staging fields that Porthole has no place for; each is refused unless null. */
const refusedStagingFields = {
  server_pool_id: refused('Porthole has no server pools: staged kasms run on the agents of zone_id'),
  autoscale_config_id: refused('Porthole does not autoscale agents'),
  allow_kasm_audio: refused(PER_USER),
  allow_kasm_uploads: refused(PER_USER),
  allow_kasm_downloads: refused(PER_USER),
  allow_kasm_clipboard_down: refused(PER_USER),
  allow_kasm_clipboard_up: refused(PER_USER),
  allow_kasm_microphone: refused(PER_USER),
};

export const stagingConfigIdBody = z.object({
  target_staging_config: z.object(
    { staging_config_id: kasmIdSchema },
    { error: 'is required: {staging_config_id}' },
  ),
});

export const createStagingConfigBody = z.object({
  target_staging_config: z.object(
    {
      zone_id: kasmIdSchema,
      image_id: kasmIdSchema,
      num_sessions: numSessions,
      expiration: expirationHours.optional(),
      ...refusedStagingFields,
    },
    { error: 'is required: {zone_id, image_id, num_sessions, expiration?}' },
  ),
});

export const updateStagingConfigBody = z.object({
  target_staging_config: z.object(
    {
      staging_config_id: kasmIdSchema,
      zone_id: kasmIdSchema.optional(),
      image_id: kasmIdSchema.optional(),
      num_sessions: numSessions.optional(),
      expiration: expirationHours.optional(),
      ...refusedStagingFields,
    },
    { error: 'is required: {staging_config_id, …changes}' },
  ),
});

export type CreateStagingConfigBody = z.infer<typeof createStagingConfigBody>;
export type UpdateStagingConfigBody = z.infer<typeof updateStagingConfigBody>;
