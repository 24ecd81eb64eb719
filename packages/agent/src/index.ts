export { type AgentDeps, type RunningAgent, startAgent } from './agent.js';
export { type AgentConfig, agentUrl } from './config.js';
export { RegistrationError } from './control/registration.js';
export { SessionGateway } from './gateway/session-gateway.js';
export { DEFAULT_DOCKER_SOCKET, parseDockerConnection } from './runtime/docker-connection.js';
export type { SessionRecord, SessionRegistry, SessionTarget } from './sessions/registry.js';
export { AGENT_VERSION } from './version.js';
