import { isEngineSocketSource, type RunConfig } from '@porthole/contracts';
import { invalidField } from '../errors.js';

const NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
// host would bypass the loopback-only port publishing; none leaves nothing to stream from.
const FORBIDDEN_NETWORKS = new Set(['host', 'none', 'default']);

/** The network a session joins, checked when the admin saves it rather than at every launch. */
export function checkNetwork(network: string | null | undefined): string | null {
  if (network === undefined || network === null || network === '') return null;
  if (!NETWORK_NAME.test(network)) throw invalidField('network', 'is not a valid Docker network name');
  if (FORBIDDEN_NETWORKS.has(network))
    throw invalidField('network', `"${network}" is not allowed for sessions`);
  return network;
}

/**
 * Bind mounts that would hand the session the container engine (and so the host). The agent
 * refuses them too; refusing here tells the admin at save time instead of at the first launch.
 */
export function checkRunConfig(run: RunConfig | undefined): void {
  for (const [i, v] of (run?.volumes ?? []).entries()) {
    if (!v.source.startsWith('/')) continue;
    if (isEngineSocketSource(v.source)) {
      throw invalidField(`runConfig.volumes.${i}.source`, `${v.source} would expose the container engine`);
    }
  }
}
