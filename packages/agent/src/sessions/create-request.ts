import type { AgentCreateSession } from '@porthole/contracts';
import type { ContainerCreateSpec } from '../runtime/container-runtime.js';
import { buildSessionContainerSpec, type SessionContainerRequest } from './container-spec.js';

/**
 * Turns the server's create request into the hardened container spec. The VNC password is the
 * agent's own (the server never learns it); host limits refuse a session the host cannot hold.
 * Throws ContainerSpecError naming the offending field.
 */
export function buildCreateSpec(
  body: AgentCreateSession,
  agent: { agentId: string; vncPassword: string },
  host: { cores: number; memoryBytes: number },
): ContainerCreateSpec {
  const request: SessionContainerRequest = {
    sessionId: body.sessionId,
    ownerId: body.ownerId,
    agentId: agent.agentId,
    image: { ref: body.image.ref, name: body.image.name },
    vncPassword: agent.vncPassword,
    cores: body.cores,
    memoryBytes: body.memoryBytes,
    shmBytes: body.shmBytes,
  };
  if (body.ownerName.trim() !== '') request.kasmUser = body.ownerName;
  if (body.url) request.kasmUrl = body.url;
  if (body.environment) request.env = body.environment;
  if (body.network) request.networkName = body.network;
  if (body.volumes) {
    request.volumes = body.volumes.map((v) => ({
      source: v.source,
      target: v.target,
      ...(v.readOnly !== undefined ? { readOnly: v.readOnly } : {}),
    }));
  }
  const spec = buildSessionContainerSpec(request, { cores: host.cores, memoryBytes: host.memoryBytes });
  if (body.readOnlyRootfs) spec.security = { ...spec.security, readonlyRootfs: true };
  // An image's own process limit (set by an admin) replaces the default; "unlimited" (<= 0) is not
  // offered, since a fork bomb in one session would then starve the whole host.
  if (body.pidsLimit !== undefined && body.pidsLimit > 0) {
    spec.limits = { ...spec.limits, pidsLimit: body.pidsLimit };
  }
  return spec;
}
