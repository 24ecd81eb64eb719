import { z } from 'zod';
import { sessionRoleSchema } from './agents.js';
import { sessionViewSchema } from './sessions.js';

export const shareViewSchema = z.object({ shareId: z.string(), url: z.string() });
export type ShareView = z.infer<typeof shareViewSchema>;

export const participantViewSchema = z.object({
  userId: z.string(),
  username: z.string(),
  role: sessionRoleSchema,
  joinedAt: z.string(),
});
export type ParticipantView = z.infer<typeof participantViewSchema>;

export const joinedSessionSchema = z.object({ session: sessionViewSchema, role: sessionRoleSchema });
export type JoinedSession = z.infer<typeof joinedSessionSchema>;

/**
 * What the session page needs to show a session to whoever opens it: the session, the caller's
 * role in it, and whether the caller may turn sharing on (the owner's effective `allow_sharing`,
 * which the browser cannot compute itself).
 */
export const sessionAccessSchema = z.object({
  session: sessionViewSchema,
  role: sessionRoleSchema,
  mayShare: z.boolean(),
});
export type SessionAccess = z.infer<typeof sessionAccessSchema>;

export const CHAT_MAX_LENGTH = 2000;

export const chatMessageSchema = z.object({
  id: z.string(),
  kind: z.enum(['message', 'join', 'leave', 'system']),
  userId: z.string().nullable(),
  username: z.string(),
  text: z.string(),
  at: z.string(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

export const presenceEntrySchema = z.object({
  userId: z.string(),
  username: z.string(),
  role: sessionRoleSchema,
});
export type PresenceEntry = z.infer<typeof presenceEntrySchema>;

/** What the browser sends on the chat socket. */
export const chatClientMessageSchema = z.object({
  type: z.literal('message'),
  text: z
    .string()
    .trim()
    .min(1, 'text must not be empty')
    .max(CHAT_MAX_LENGTH, `text must be at most ${CHAT_MAX_LENGTH} characters`),
});

/** What the server sends on the chat socket. */
export type ChatServerMessage =
  | { type: 'history'; messages: ChatMessage[] }
  | { type: 'message'; message: ChatMessage }
  | { type: 'presence'; users: PresenceEntry[] }
  | { type: 'status'; available: boolean }
  | { type: 'error'; message: string };
