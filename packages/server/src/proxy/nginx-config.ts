import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface NginxConfigOptions {
  /** Where `porthole server` listens, e.g. http://127.0.0.1:8080 (run it with --insecure-http --behind-proxy). */
  serverUrl: string;
  listen: string;
  serverName: string;
  certFile: string;
  keyFile: string;
}

const templatePath = fileURLToPath(new URL('../../../../deploy/nginx/porthole.conf', import.meta.url));

/** Renders deploy/nginx/porthole.conf: the production front door with `auth_request`. */
export function renderNginxConfig(
  o: NginxConfigOptions,
  template = readFileSync(templatePath, 'utf8'),
): string {
  const server = new URL(o.serverUrl);
  if (server.protocol !== 'http:' && server.protocol !== 'https:')
    throw new Error('serverUrl must be http(s)://host:port');
  const values: Record<string, string> = {
    PORTHOLE_SERVER: server.host,
    PORTHOLE_SERVER_SCHEME: server.protocol.replace(':', ''),
    LISTEN: o.listen,
    SERVER_NAME: o.serverName,
    TLS_CERT: o.certFile,
    TLS_KEY: o.keyFile,
  };
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (whole, key: string) => values[key] ?? whole);
}
