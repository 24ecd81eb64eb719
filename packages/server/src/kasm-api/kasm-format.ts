import type { ImageView, SessionState, SessionView } from '@porthole/contracts';
import { z } from 'zod';

// Kasm's wire conventions, applied at the boundary only: Porthole keeps UUIDs and ISO dates inside.

const HEX32 = /^[0-9a-fA-F]{32}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A UUID as Kasm writes ids: 32 lowercase hex characters, no dashes. */
export function toKasmId(uuid: string): string {
  return uuid.replace(/-/g, '').toLowerCase();
}

export function toKasmIdOrNull(uuid: string | null): string | null {
  return uuid === null ? null : toKasmId(uuid);
}

/** A Kasm id (32 hex) or a UUID, as the UUID Porthole stores. */
export function fromKasmId(id: string): string {
  const h = id.replace(/-/g, '').toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Accepts both forms on input and hands the UUID on. */
export const kasmIdSchema = z
  .string({ error: 'is required and must be a string' })
  .trim()
  .refine((s) => HEX32.test(s) || UUID.test(s), 'must be a 32-character hex id or a UUID')
  .transform(fromKasmId);

/** Kasm's timestamp format: `YYYY-MM-DD HH:MM:SS.ffffff`, UTC (JavaScript dates stop at milliseconds). */
export function kasmDate(value: Date | string): string {
  const iso = (typeof value === 'string' ? new Date(value) : value).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
}

export function kasmDateOrNull(value: Date | string | null): string | null {
  return value === null ? null : kasmDate(value);
}

interface StatusInfo {
  status: string;
  progress: number;
  message: string;
}

/**
 * Porthole session states as Kasm operational statuses. The names match one to one (Kasm has no
 * `error` or `lost`; they keep Porthole's names). Progress only moves during start-up.
 */
const STATUS: Record<SessionState, StatusInfo> = {
  requested: { status: 'requested', progress: 10, message: 'Kasm requested: waiting for its agent' },
  provisioning: { status: 'provisioning', progress: 30, message: 'Creating the container' },
  starting: { status: 'starting', progress: 70, message: 'Waiting for the desktop to come up' },
  running: { status: 'running', progress: 100, message: 'Kasm is running' },
  pausing: { status: 'pausing', progress: 100, message: 'Pausing' },
  paused: { status: 'paused', progress: 100, message: 'Kasm is paused' },
  resuming: { status: 'resuming', progress: 70, message: 'Resuming' },
  stopping: { status: 'stopping', progress: 100, message: 'Stopping' },
  stopped: { status: 'stopped', progress: 100, message: 'Kasm is stopped' },
  deleting: { status: 'deleting', progress: 100, message: 'Deleting' },
  deleted: { status: 'deleted', progress: 100, message: 'Kasm was deleted' },
  error: { status: 'error', progress: 100, message: 'Kasm failed' },
  lost: { status: 'lost', progress: 100, message: "The agent no longer reports this Kasm's container" },
};

export function kasmStatus(state: SessionState): StatusInfo {
  return STATUS[state];
}

const MIB = 1024 * 1024;

export interface KasmImageRef {
  image_id: string;
  name: string;
  friendly_name: string;
}

/**
 * A session as Kasm describes a kasm. `images` supplies each image's Docker reference, `hosts`
 * each agent's host name (as the agent reported it when it registered).
 */
export function toKasm(
  view: SessionView,
  images: ReadonlyMap<string, ImageView>,
  hosts: ReadonlyMap<string, string | null> = new Map(),
) {
  const image = images.get(view.imageId);
  const ref: KasmImageRef = {
    image_id: toKasmId(view.imageId),
    name: image?.dockerImage ?? view.imageName,
    friendly_name: view.imageFriendlyName,
  };
  return {
    kasm_id: toKasmId(view.id),
    user_id: toKasmIdOrNull(view.userId),
    username: view.username,
    image_id: ref.image_id,
    image: ref,
    start_date: kasmDate(view.createdAt),
    keepalive_date: kasmDate(view.keepaliveAt),
    expiration_date: kasmDateOrNull(view.expiresAt),
    operational_status: kasmStatus(view.state).status,
    hostname: view.agentName,
    server_id: toKasmIdOrNull(view.agentId),
    zone_id: toKasmIdOrNull(view.zoneId),
    cores: view.cores,
    memory: view.memoryMb * MIB,
    share_id: view.shareId,
    host: view.agentId ? (hosts.get(view.agentId) ?? null) : null,
    // The container's ports stay on its agent's loopback and every stream goes through the
    // agent's gateway, which checks a signed grant: there is no address a client could use.
    container_ip: null,
    port: null,
    port_map: null,
    // Porthole has no token that opens a kasm view-only on its own; viewers join by share_id.
    view_only_token: null,
  };
}
export type KasmView = ReturnType<typeof toKasm>;

export function toKasmImage(image: ImageView) {
  return {
    image_id: toKasmId(image.id),
    name: image.dockerImage,
    friendly_name: image.friendlyName,
    description: image.description,
    cores: image.cores,
    memory: image.memoryMb * MIB,
    enabled: image.enabled,
    categories: image.categories,
    image_src: image.icon,
    zone_id: toKasmIdOrNull(image.zoneId),
    porthole_name: image.name,
  };
}
