/** Where a DockerRuntime talks to: a unix socket or a TCP endpoint (for a second daemon). */
export interface DockerConnectionOptions {
  socketPath?: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
}

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/**
 * Accepts the same forms as DOCKER_HOST (unix:///path, tcp://host:port, http(s)://host:port) or an
 * options object, and yields exactly one of socketPath or host/port so dockerode never falls back to
 * reading DOCKER_HOST from the environment behind our back.
 */
export function parseDockerConnection(input?: DockerConnectionOptions | string): DockerConnectionOptions {
  if (input === undefined) return { socketPath: DEFAULT_DOCKER_SOCKET };
  if (typeof input !== 'string') {
    if (input.socketPath) return { socketPath: input.socketPath };
    if (input.host) {
      return { host: input.host, port: input.port ?? 2375, protocol: input.protocol ?? 'http' };
    }
    return { socketPath: DEFAULT_DOCKER_SOCKET };
  }
  const value = input.trim();
  if (value === '') return { socketPath: DEFAULT_DOCKER_SOCKET };
  if (value.startsWith('unix://')) {
    const path = value.slice('unix://'.length);
    return { socketPath: path === '' ? DEFAULT_DOCKER_SOCKET : path };
  }
  if (value.startsWith('/')) return { socketPath: value };
  const withScheme = value.includes('://') ? value : `tcp://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new Error(`invalid Docker host "${input}": expected unix:///path or tcp://host:port`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (scheme !== 'tcp' && scheme !== 'http' && scheme !== 'https') {
    throw new Error(`invalid Docker host "${input}": unsupported scheme "${scheme}"`);
  }
  if (url.hostname === '') throw new Error(`invalid Docker host "${input}": missing host`);
  const protocol = scheme === 'https' ? 'https' : 'http';
  const port = url.port === '' ? (protocol === 'https' ? 2376 : 2375) : Number(url.port);
  // URL keeps IPv6 literals bracketed; the socket layer wants them bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port, protocol };
}

export function describeDockerConnection(options: DockerConnectionOptions): string {
  return options.socketPath
    ? `unix://${options.socketPath}`
    : `${options.protocol ?? 'http'}://${options.host}:${options.port}`;
}
