import {
  type ExecConfig,
  execConfigSchema,
  type ImageView,
  type RunConfig,
  runConfigSchema,
  type WorkspaceView,
} from '@porthole/contracts';
import type { ImageRow } from './image-repo.js';

// Stored configs were validated on write; a schema that later narrows must not break reads.
function runConfigOf(raw: unknown): RunConfig {
  const r = runConfigSchema.safeParse(raw);
  return r.success ? r.data : {};
}
function execConfigOf(raw: unknown): ExecConfig {
  const r = execConfigSchema.safeParse(raw);
  return r.success ? r.data : {};
}

export function toImageView(row: ImageRow): ImageView {
  return {
    id: row.id,
    name: row.name,
    friendlyName: row.friendly_name,
    description: row.description,
    dockerImage: row.docker_image,
    cores: row.cores,
    memoryMb: row.memory_mb,
    shmMb: row.shm_mb,
    gpuCount: row.gpu_count,
    network: row.network,
    zoneId: row.zone_id,
    agentId: row.agent_id,
    enabled: row.enabled,
    categories: Array.isArray(row.categories) ? row.categories.map(String) : [],
    icon: row.icon,
    runConfig: runConfigOf(row.run_config),
    execConfig: execConfigOf(row.exec_config),
    groupIds: row.group_ids,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function toWorkspaceView(row: ImageRow): WorkspaceView {
  return {
    id: row.id,
    name: row.name,
    friendlyName: row.friendly_name,
    description: row.description,
    categories: Array.isArray(row.categories) ? row.categories.map(String) : [],
    icon: row.icon,
    cores: row.cores,
    memoryMb: row.memory_mb,
  };
}
