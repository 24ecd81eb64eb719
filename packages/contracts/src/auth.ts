import { z } from 'zod';

export const loginRequestSchema = z.object({
  username: z.string().trim().min(1, 'username is required').max(254),
  password: z.string().min(1, 'password is required').max(1024),
});
export type LoginRequest = z.infer<typeof loginRequestSchema>;

export const userViewSchema = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  isAdmin: z.boolean(),
  locked: z.boolean(),
  disabled: z.boolean(),
  createdAt: z.string(),
  lastLoginAt: z.string().nullable(),
});
export type UserView = z.infer<typeof userViewSchema>;

export const loginResponseSchema = z.object({ user: userViewSchema });
export type LoginResponse = z.infer<typeof loginResponseSchema>;

/** Password policy shared by the API, the CLI and the web forms. */
export const passwordSchema = z
  .string()
  .min(8, 'password must be at least 8 characters')
  .max(1024, 'password must be at most 1024 characters');

export const usernameSchema = z
  .string()
  .trim()
  .min(1, 'username is required')
  .max(254, 'username must be at most 254 characters')
  .regex(/^[^\s]+$/, 'username must not contain spaces');

/** `GET /api/auth/one-time?token=…`: a one-time sign-in link the developer API handed out. */
export const oneTimeLoginQuerySchema = z.object({ token: z.string().min(1, 'token is required').max(200) });
