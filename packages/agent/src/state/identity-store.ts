import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface AgentIdentity {
  agentId: string;
  secret: string;
  zoneId: string;
  grantPublicKey: string;
  /** The server this identity belongs to; informative only (a server may move). */
  serverUrl: string;
  registeredAt: string;
}

function toIdentity(json: unknown): AgentIdentity | null {
  if (typeof json !== 'object' || json === null) return null;
  const record = json as Record<string, unknown>;
  const text = (key: keyof AgentIdentity): string | null => {
    const value = record[key];
    return typeof value === 'string' ? value : null;
  };
  const agentId = text('agentId');
  const secret = text('secret');
  const zoneId = text('zoneId');
  const grantPublicKey = text('grantPublicKey');
  if (!agentId || !secret || zoneId === null || !grantPublicKey) return null;
  return {
    agentId,
    secret,
    zoneId,
    grantPublicKey,
    serverUrl: text('serverUrl') ?? '',
    registeredAt: text('registeredAt') ?? '',
  };
}

/**
 * `<stateDir>/agent.json`: the agent's id and secret, kept across restarts so a restarted agent is
 * the same agent (same labels on its containers) and never registers twice.
 */
export class IdentityStore {
  readonly path: string;

  constructor(private readonly stateDir: string) {
    this.path = join(stateDir, 'agent.json');
  }

  /** null when no identity was saved yet; throws when the file exists but cannot be used. */
  async load(): Promise<AgentIdentity | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new Error(`cannot read ${this.path}: ${(error as Error).message}`, { cause: error });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new Error(`${this.path} is not valid JSON; delete it to register again`, { cause: error });
    }
    const identity = toIdentity(json);
    if (!identity) throw new Error(`${this.path} is incomplete; delete it to register again`);
    return identity;
  }

  /** Atomic (temp file + rename), so a crash mid-write never leaves a half identity behind. */
  async save(identity: AgentIdentity): Promise<void> {
    await mkdir(this.stateDir, { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600 });
    // writeFile's mode is masked by the umask and ignored for an existing file: set it explicitly.
    await chmod(temp, 0o600);
    await rename(temp, this.path);
  }
}
