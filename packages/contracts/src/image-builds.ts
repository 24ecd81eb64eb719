import { z } from 'zod';

// Builds of the default workspace images that `porthole up` runs in the background at start-up,
// as the admin Workspaces page shows them (GET /api/admin/image-builds).

export const imageBuildStateSchema = z.enum(['queued', 'building', 'done', 'skipped', 'failed']);
export type ImageBuildState = z.infer<typeof imageBuildStateSchema>;

export const imageBuildViewSchema = z.object({
  /** Catalogue name: desktop, desktop-deluxe, firefox. */
  name: z.string(),
  /** The tag being built, e.g. `porthole/desktop:0.1.0`. */
  image: z.string(),
  state: imageBuildStateSchema,
  /** Dockerfile step under way (1-based) and the number of steps; null before the first step. */
  step: z.number().int().nonnegative().nullable(),
  steps: z.number().int().nonnegative().nullable(),
  stepText: z.string().nullable(),
  /** `done` because the inputs were unchanged (no build ran). */
  upToDate: z.boolean(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** Building time so far, or in all once finished; 0 while queued. */
  elapsedSeconds: z.number().nonnegative(),
  /** Why it failed or was skipped. */
  error: z.string().nullable(),
});
export type ImageBuildView = z.infer<typeof imageBuildViewSchema>;

export const imageBuildsViewSchema = z.object({
  /** True while any image is queued or building (the page keeps polling). */
  active: z.boolean(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** Which Debian base the builds use, or what is being done to get one. */
  base: z.string().nullable(),
  /** A failure of the whole run (e.g. no Docker), as opposed to one image's. */
  error: z.string().nullable(),
  images: z.array(imageBuildViewSchema),
});
export type ImageBuildsView = z.infer<typeof imageBuildsViewSchema>;

/**
 * What the image builder reports as it goes (`buildImages({ onProgress })`); the server's
 * image-build state is made of these. Plain data, so the CLI's builder and the server share it.
 */
export type ImageBuildEvent =
  | { type: 'plan'; images: Array<{ name: string; image: string }> }
  | { type: 'base'; text: string }
  | { type: 'start'; name: string }
  | { type: 'step'; name: string; step: number; steps: number; text: string }
  | {
      type: 'finish';
      name: string;
      status: 'built' | 'cached' | 'failed' | 'skipped';
      error?: string;
    }
  | { type: 'end'; error?: string };
