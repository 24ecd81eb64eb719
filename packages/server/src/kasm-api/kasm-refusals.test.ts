import { describe, expect, it } from 'vitest';
import { parse } from '../http/parse.js';
import { updateAttributesBody, userPermissionBody } from './kasm-attribute-schemas.js';
import { createStagingConfigBody } from './kasm-staging-schemas.js';

// The refusals are the contract: a Kasm name Porthole cannot apply must fail, by name, before
// any service sees it.
const ID = '0123456789abcdef0123456789abcdef';
const message = (schema: Parameters<typeof parse>[0], body: unknown) => {
  try {
    parse(schema, body);
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
};

describe('developer API refusals', () => {
  it('refuses staging fields Porthole cannot apply unless null', () => {
    const base = { zone_id: ID, image_id: ID, num_sessions: 1 };
    expect(
      message(createStagingConfigBody, { target_staging_config: { ...base, allow_kasm_audio: null } }),
    ).toBe('accepted');
    expect(
      message(createStagingConfigBody, { target_staging_config: { ...base, allow_kasm_uploads: false } }),
    ).toMatch(/^target_staging_config\.allow_kasm_uploads: Porthole cannot apply this per staging config/);
    expect(
      message(createStagingConfigBody, { target_staging_config: { ...base, server_pool_id: ID } }),
    ).toMatch(/^target_staging_config\.server_pool_id: Porthole has no server pools/);
    expect(message(createStagingConfigBody, { target_staging_config: { ...base, expiration: 0 } })).toMatch(
      /^target_staging_config\.expiration: /,
    );
  });

  it('refuses every user attribute, telling Kasm attributes from group settings', () => {
    const attrs = (extra: object) => ({ target_user_attributes: { user_id: ID, ...extra } });
    expect(message(updateAttributesBody, attrs({}))).toBe('accepted');
    expect(message(updateAttributesBody, attrs({ chat_sfx: true }))).toMatch(
      /^target_user_attributes\.chat_sfx: Porthole keeps no such/,
    );
    expect(message(updateAttributesBody, attrs({ allow_uploads: false }))).toMatch(/group setting/);
    expect(message(updateAttributesBody, attrs({ nonsense: 1 }))).toMatch(/no such user attribute/);
  });

  it('accepts only the permission names Porthole holds per user', () => {
    const body = (permission_name: unknown) => ({
      target_user: { user_id: ID },
      target_permission: { permission_name },
    });
    expect(message(userPermissionBody, body('global_admin'))).toBe('accepted');
    expect(message(userPermissionBody, body('user'))).toBe('accepted');
    expect(message(userPermissionBody, body('users_view'))).toMatch(
      /^target_permission\.permission_name: Porthole has no per-user permission users_view/,
    );
    expect(message(userPermissionBody, body(5))).toMatch(/^target_permission\.permission_name: /);
  });
});
