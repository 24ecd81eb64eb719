import * as a from './kasm-attribute-schemas.js';
import { endpoint, type KasmEndpoint } from './kasm-endpoint.js';
import { emptyBody, targetUserBody } from './kasm-schemas.js';
import type { KasmStaging } from './kasm-staging.js';
import * as st from './kasm-staging-schemas.js';
import type { KasmUserSettings } from './kasm-user-settings.js';

/** The zone, staging-config, user-attribute and user-permission endpoints. */
export function kasmAdminEndpoints(staging: KasmStaging, settings: KasmUserSettings): KasmEndpoint[] {
  return [
    endpoint({
      name: 'get_zones',
      summary: 'Every deployment zone (only zone_id and zone_name with brief: true)',
      permissions: ['zones_view'],
      write: false,
      body: st.zonesBody,
      handle: (input) => staging.zones(input.brief ?? false),
    }),
    endpoint({
      name: 'get_staging_configs',
      summary: 'Every staging config (pool of pre-started sessions per zone and workspace)',
      permissions: ['staging_view'],
      write: false,
      body: emptyBody,
      handle: () => staging.list(),
    }),
    endpoint({
      name: 'get_staging_config',
      summary: 'One staging config, by staging_config_id',
      permissions: ['staging_view'],
      write: false,
      body: st.stagingConfigIdBody,
      handle: (input) => staging.get(input.target_staging_config.staging_config_id),
    }),
    endpoint({
      name: 'create_staging_config',
      summary: 'Keep num_sessions sessions of an image started in a zone',
      permissions: ['staging_create'],
      write: true,
      body: st.createStagingConfigBody,
      handle: (input, key) => staging.create(input, key),
    }),
    endpoint({
      name: 'update_staging_config',
      summary: "Change a staging config's zone, image, num_sessions or expiration",
      permissions: ['staging_modify'],
      write: true,
      body: st.updateStagingConfigBody,
      handle: (input, key) => staging.update(input, key),
    }),
    endpoint({
      name: 'delete_staging_config',
      summary: 'Delete a staging config',
      permissions: ['staging_delete'],
      write: true,
      body: st.stagingConfigIdBody,
      handle: (input, key) => staging.delete(input.target_staging_config.staging_config_id, key),
    }),
    endpoint({
      name: 'get_attributes',
      summary: "A user's attributes (Kasm's are all null in Porthole) and effective group settings",
      permissions: ['users_view'],
      write: false,
      body: targetUserBody,
      handle: (input) => settings.attributes(input.target_user),
    }),
    endpoint({
      name: 'update_user_attributes',
      summary: 'Refuses every attribute, naming it: Porthole keeps no per-user attributes',
      permissions: ['users_modify'],
      write: true,
      body: a.updateAttributesBody,
      handle: (input) => settings.updateAttributes(input),
    }),
    endpoint({
      name: 'get_user_permissions',
      summary:
        "A user's permissions (user, and global_admin for administrators) and the groups granting them",
      permissions: ['users_view'],
      write: false,
      body: targetUserBody,
      handle: (input) => settings.permissions(input.target_user),
    }),
    endpoint({
      name: 'add_user_permission',
      summary: 'Grant global_admin (adds the user to Administrators); user is every user’s already',
      permissions: ['groups_modify'],
      write: true,
      body: a.userPermissionBody,
      handle: (input, key) => settings.addPermission(input, key),
    }),
    endpoint({
      name: 'remove_user_permission',
      summary: 'Revoke global_admin (removes the user from Administrators)',
      permissions: ['groups_modify'],
      write: true,
      body: a.userPermissionBody,
      handle: (input, key) => settings.removePermission(input, key),
    }),
  ];
}
