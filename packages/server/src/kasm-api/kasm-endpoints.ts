import { kasmAdminEndpoints } from './kasm-admin-endpoints.js';
import { endpoint, type KasmEndpoint } from './kasm-endpoint.js';
import * as s from './kasm-schemas.js';
import type { KasmSessions } from './kasm-sessions.js';
import type { KasmStaging } from './kasm-staging.js';
import type { KasmUserSettings } from './kasm-user-settings.js';
import type { KasmUsers } from './kasm-users.js';

export type { KasmEndpoint } from './kasm-endpoint.js';

/** Every developer-API endpoint: its permission, whether it writes, its body and its handler. */
export function kasmEndpoints(
  kasms: KasmSessions,
  users: KasmUsers,
  staging: KasmStaging,
  settings: KasmUserSettings,
): KasmEndpoint[] {
  return [
    endpoint({
      name: 'request_kasm',
      summary: 'Start a session for a user; returns a one-time kasm_url that signs the browser in',
      permissions: ['users_auth_session'],
      write: true,
      body: s.requestKasmBody,
      handle: (input, key) => kasms.request(key, input),
    }),
    endpoint({
      name: 'get_kasm_status',
      summary: 'State, progress and details of one session',
      permissions: ['sessions_view', 'users_auth_session'],
      write: false,
      body: s.kasmStatusBody,
      handle: (input, key) => kasms.status(key, input),
    }),
    endpoint({
      name: 'get_kasms',
      summary: 'Every live session',
      permissions: ['sessions_view'],
      write: false,
      body: s.emptyBody,
      handle: () => kasms.list(),
    }),
    endpoint({
      name: 'get_user_kasms',
      summary: "A user's live sessions",
      permissions: ['sessions_view'],
      write: false,
      body: s.userKasmsBody,
      handle: (input) => kasms.list(input.user_id),
    }),
    endpoint({
      name: 'destroy_kasm',
      summary: 'Delete a session and its container',
      permissions: ['sessions_modify'],
      write: true,
      body: s.kasmIdBody,
      handle: (input) => kasms.destroy(input),
    }),
    endpoint({
      name: 'keepalive',
      summary: "Reset a session's keepalive timer",
      permissions: ['sessions_modify', 'users_auth_session'],
      write: true,
      body: s.kasmIdBody,
      handle: (input) => kasms.keepalive(input),
    }),
    endpoint({
      name: 'pause_kasm',
      summary: 'Pause a running session',
      permissions: ['sessions_modify'],
      write: true,
      body: s.kasmIdBody,
      handle: (input) => kasms.act(input, 'pause'),
    }),
    endpoint({
      name: 'resume_kasm',
      summary: 'Resume a paused or stopped session',
      permissions: ['sessions_modify'],
      write: true,
      body: s.kasmIdBody,
      handle: (input) => kasms.act(input, 'resume'),
    }),
    endpoint({
      name: 'stop_kasm',
      summary: 'Stop a running session (its container stays; resume_kasm starts it again)',
      permissions: ['sessions_modify'],
      write: true,
      body: s.kasmIdBody,
      handle: (input) => kasms.act(input, 'stop'),
    }),
    endpoint({
      name: 'join_kasm',
      summary: 'Join a shared session by its share_id as the given user; returns a one-time kasm_url',
      permissions: ['users_auth_session'],
      write: true,
      body: s.joinKasmBody,
      handle: (input, key) => kasms.join(key, input),
    }),
    endpoint({
      name: 'exec_command_kasm',
      summary: "Start a command in a running session's container (does not wait for it)",
      permissions: ['sessions_modify'],
      write: true,
      body: s.execKasmBody,
      handle: (input) => kasms.exec(input),
    }),
    endpoint({
      name: 'get_images',
      summary: 'Every workspace image',
      permissions: ['images_view'],
      write: false,
      body: s.emptyBody,
      handle: () => users.images(),
    }),
    endpoint({
      name: 'get_users',
      summary: 'Every user',
      permissions: ['users_view'],
      write: false,
      body: s.emptyBody,
      handle: () => users.list(),
    }),
    endpoint({
      name: 'get_user',
      summary: 'One user, by user_id or username',
      permissions: ['users_view'],
      write: false,
      body: s.targetUserBody,
      handle: (input) => users.get(input.target_user),
    }),
    endpoint({
      name: 'create_user',
      summary: 'Create a user (in All Users)',
      permissions: ['users_create'],
      write: true,
      body: s.createUserBody,
      handle: (input, key) => users.create(input, key),
    }),
    endpoint({
      name: 'update_user',
      summary: "Change a user's name, password, lock or disable flags",
      permissions: ['users_modify'],
      write: true,
      body: s.updateUserBody,
      handle: (input, key) => users.update(input, key),
    }),
    endpoint({
      name: 'delete_user',
      summary: 'Delete a user (with their sessions when force is true)',
      permissions: ['users_delete'],
      write: true,
      body: s.deleteUserBody,
      handle: (input, key) => users.delete(input.target_user, input.force ?? false, key),
    }),
    endpoint({
      name: 'logout_user',
      summary: 'Sign a user out of every browser',
      permissions: ['users_auth_session'],
      write: true,
      body: s.targetUserBody,
      handle: (input) => users.logout(input.target_user),
    }),
    endpoint({
      name: 'add_user_group',
      summary: 'Add a user to a group',
      permissions: ['groups_modify'],
      write: true,
      body: s.userGroupBody,
      handle: (input, key) => users.setGroup(input, true, key),
    }),
    endpoint({
      name: 'remove_user_group',
      summary: 'Remove a user from a group',
      permissions: ['groups_modify'],
      write: true,
      body: s.userGroupBody,
      handle: (input, key) => users.setGroup(input, false, key),
    }),
    ...kasmAdminEndpoints(staging, settings),
  ];
}
