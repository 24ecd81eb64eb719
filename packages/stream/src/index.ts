// The relay machinery shared by the server's embedded proxy and the agent's gateway: both carry
// the same long-lived streams and must time out, close and meter them the same way.
export { COALESCE_BURST_BYTES, coalesceWrites } from './coalesce.js';
export { createGuardedProxy, type GuardedProxy, type GuardedProxyOptions } from './guarded-proxy.js';
export { isDirectLoopback } from './loopback.js';
export {
  answer,
  DEFAULT_STREAM_LIMITS,
  hideUpstreamHeaders,
  StreamGuard,
  type StreamLimits,
  type StreamMeter,
  UpstreamTimeout,
} from './stream-guard.js';
export { closeFrame, FrameBoundary } from './ws-frames.js';

/** The header carrying the server's signed stream grant from a proxy to an agent. */
export const GRANT_HEADER = 'x-porthole-grant';

// Grants: the server signs (Ed25519), agents verify; one format, written and read in one place.
export { type GrantIssuer, GrantSigner } from './grant-signer.js';
export { type GrantCheck, GrantVerifier } from './grant-verifier.js';
