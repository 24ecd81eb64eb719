import type { ImageView, StagingUpdate, StagingView, ZoneView } from '@porthole/contracts';
import { apiKeyContext } from '../audit/audit-context.js';
import { InvalidError, NotFoundError } from '../errors.js';
import type { ApiKeyIdentity } from '../http/caller.js';
import type { ImageService } from '../images/image-service.js';
import type { StagingService } from '../staging/staging-service.js';
import type { ZoneService } from '../zones/zone-service.js';
import { kasmDate, toKasmId } from './kasm-format.js';
import type { CreateStagingConfigBody, UpdateStagingConfigBody } from './kasm-staging-schemas.js';

export interface KasmStagingDeps {
  zones: Pick<ZoneService, 'list'>;
  images: Pick<ImageService, 'list'>;
  staging: StagingService;
}

/** Kasm's zone settings that describe its web proxy; Porthole's answer for each (see the docs). */
const ZONE_CONSTANTS = {
  // Placement always takes the least loaded agent with room.
  load_strategy: 'least_load',
  // Porthole has only static (registered) agents.
  prioritize_static_agents: true,
  // The server's own proxy carries every stream, at whatever host the browser used.
  allow_origin_domain: '$request_host$',
  upstream_auth_address: '$request_host$',
  proxy_connections: true,
  proxy_hostname: '$request_host$',
  proxy_path: 'session',
  proxy_port: 0,
};

function toKasmZone(zone: ZoneView, brief: boolean) {
  const head = { zone_id: toKasmId(zone.id), zone_name: zone.name };
  if (brief) return head;
  return {
    ...head,
    search_alternate_zones: zone.searchAlternateZones,
    ...ZONE_CONSTANTS,
    porthole_default: zone.isDefault,
    porthole_agent_count: zone.agentCount,
  };
}

function toKasmStaging(
  pool: StagingView,
  zones: ReadonlyMap<string, ZoneView>,
  images: ReadonlyMap<string, ImageView>,
) {
  return {
    staging_config_id: toKasmId(pool.id),
    zone_id: toKasmId(pool.zoneId),
    zone_name: zones.get(pool.zoneId)?.name ?? null,
    server_pool_id: null,
    autoscale_config_id: null,
    image_id: toKasmId(pool.imageId),
    image_friendly_name: images.get(pool.imageId)?.friendlyName ?? null,
    num_sessions: pool.desiredCount,
    num_current_sessions: pool.readyCount + pool.startingCount,
    expiration: pool.expirationSeconds / 3600,
    // null: decided by the claiming user's groups, not by the pool (see kasm-staging-schemas.ts).
    allow_kasm_audio: null,
    allow_kasm_uploads: null,
    allow_kasm_downloads: null,
    allow_kasm_clipboard_down: null,
    allow_kasm_clipboard_up: null,
    allow_kasm_microphone: null,
    created: kasmDate(pool.createdAt),
    porthole_ready_sessions: pool.readyCount,
    porthole_starting_sessions: pool.startingCount,
  };
}

const FIELD = 'target_staging_config';

/** The zone and staging-config endpoints, on top of the zone and staging services. */
export class KasmStaging {
  constructor(private readonly deps: KasmStagingDeps) {}

  async zones(brief: boolean): Promise<object> {
    return { zones: (await this.deps.zones.list()).map((z) => toKasmZone(z, brief)) };
  }

  private async lookups() {
    const [zones, images] = await Promise.all([this.deps.zones.list(), this.deps.images.list()]);
    return {
      zones: new Map(zones.map((z) => [z.id, z])),
      images: new Map(images.map((i) => [i.id, i])),
    };
  }

  /** An unknown zone or image is the client's mistake in a named field: 400, as for any bad field. */
  private checkRefs(
    refs: Awaited<ReturnType<KasmStaging['lookups']>>,
    zoneId: string | undefined,
    imageId: string | undefined,
  ): void {
    if (zoneId !== undefined && !refs.zones.has(zoneId)) {
      const field = `${FIELD}.zone_id`;
      throw new InvalidError(`${field}: no zone ${toKasmId(zoneId)}`, { issues: [{ field }] });
    }
    if (imageId !== undefined && !refs.images.has(imageId)) {
      const field = `${FIELD}.image_id`;
      throw new InvalidError(`${field}: no image ${toKasmId(imageId)}`, { issues: [{ field }] });
    }
  }

  private async one(id: string): Promise<StagingView> {
    return this.deps.staging.get(id).catch((err: unknown) => {
      throw err instanceof NotFoundError ? new NotFoundError(`no staging config ${toKasmId(id)}`) : err;
    });
  }

  async list(): Promise<object> {
    const refs = await this.lookups();
    const pools = await this.deps.staging.list();
    return { staging_configs: pools.map((p) => toKasmStaging(p, refs.zones, refs.images)) };
  }

  async get(id: string): Promise<object> {
    const pool = await this.one(id);
    const refs = await this.lookups();
    return { staging_config: toKasmStaging(pool, refs.zones, refs.images) };
  }

  async create(input: CreateStagingConfigBody, key: ApiKeyIdentity): Promise<object> {
    const t = input.target_staging_config;
    const refs = await this.lookups();
    this.checkRefs(refs, t.zone_id, t.image_id);
    const pool = await this.deps.staging.create(
      {
        zoneId: t.zone_id,
        imageId: t.image_id,
        desiredCount: t.num_sessions,
        ...(t.expiration !== undefined ? { expirationSeconds: Math.round(t.expiration * 3600) } : {}),
      },
      apiKeyContext(key, null),
    );
    return { staging_config: toKasmStaging(pool, refs.zones, refs.images) };
  }

  async update(input: UpdateStagingConfigBody, key: ApiKeyIdentity): Promise<object> {
    const t = input.target_staging_config;
    await this.one(t.staging_config_id);
    const refs = await this.lookups();
    this.checkRefs(refs, t.zone_id, t.image_id);
    const patch: StagingUpdate = {};
    if (t.zone_id !== undefined) patch.zoneId = t.zone_id;
    if (t.image_id !== undefined) patch.imageId = t.image_id;
    if (t.num_sessions !== undefined) patch.desiredCount = t.num_sessions;
    if (t.expiration !== undefined) patch.expirationSeconds = Math.round(t.expiration * 3600);
    const pool = await this.deps.staging.update(t.staging_config_id, patch, apiKeyContext(key, null));
    return { staging_config: toKasmStaging(pool, refs.zones, refs.images) };
  }

  async delete(id: string, key: ApiKeyIdentity): Promise<object> {
    await this.one(id);
    await this.deps.staging.delete(id, apiKeyContext(key, null));
    return {};
  }
}
