/**
 * WebSocket close codes the platform sends on session streams and chat sockets. One list, read by
 * the agent's gateway, the server's chat sockets and the web app, so the three cannot drift.
 */

/** The owner took this user away (kick, sharing turned off): final, the page does not reconnect. */
export const STREAM_REMOVED_CLOSE_CODE = 4001;

/**
 * The user's access changed (another role, signed out): reconnect, and the new grant (or its
 * refusal) says what they have now.
 */
export const STREAM_ACCESS_CHANGED_CLOSE_CODE = 4003;

/** The session ended: final. */
export const SESSION_ENDED_CLOSE_CODE = 4004;

/** Codes after which coming back would only be refused again, so clients stop retrying. */
export const FINAL_CLOSE_CODES: readonly number[] = [STREAM_REMOVED_CLOSE_CODE, SESSION_ENDED_CLOSE_CODE];
