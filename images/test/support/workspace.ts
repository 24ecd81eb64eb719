// Helpers for tests that run the workspace images on the local Docker Engine. Every container
// publishes 6901 on 127.0.0.1 only, and whoever starts one removes it.
import { randomBytes } from 'node:crypto';
import Dockerode from 'dockerode';
import WebSocket from 'ws';

export const docker = new Dockerode();
export const imageNames = ['desktop', 'desktop-deluxe', 'firefox'] as const;
export type ImageName = (typeof imageNames)[number];
export const RFB_BANNER = 'RFB 003.008\n';

export function imageRef(name: ImageName): string {
  return `porthole/${name}:latest`;
}

export async function imagePresent(ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch {
    return false;
  }
}

export function randomPassword(): string {
  return randomBytes(18).toString('base64url');
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export interface Workspace {
  container: Dockerode.Container;
  port: number;
  password: string;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  /** Shared memory for the browser image (the platform sets it from the image's settings). */
  shmBytes?: number;
}

export async function createWorkspace(
  image: string,
  options: StartOptions = {},
): Promise<{ container: Dockerode.Container }> {
  const env = Object.entries(options.env ?? {})
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  const container = await docker.createContainer({
    Image: image,
    Env: env,
    Labels: { 'io.porthole.test': 'images' },
    ExposedPorts: { '6901/tcp': {} },
    HostConfig: {
      PortBindings: { '6901/tcp': [{ HostIp: '127.0.0.1', HostPort: '0' }] },
      ...(options.shmBytes ? { ShmSize: options.shmBytes } : {}),
    },
  });
  return { container };
}

/** Creates and starts a workspace with a fresh random VNC_PW (unless `env` overrides it). */
export async function startWorkspace(image: string, options: StartOptions = {}): Promise<Workspace> {
  const password = randomPassword();
  const { container } = await createWorkspace(image, {
    ...options,
    env: { VNC_PW: password, ...options.env },
  });
  try {
    await container.start();
    return { container, port: await hostPort(container), password };
  } catch (err) {
    await removeContainer(container);
    throw err;
  }
}

export async function hostPort(container: Dockerode.Container): Promise<number> {
  const info = await container.inspect();
  const binding = info.NetworkSettings.Ports['6901/tcp']?.[0];
  if (!binding) throw new Error('port 6901 is not published');
  return Number(binding.HostPort);
}

export async function removeContainer(container: Dockerode.Container | undefined): Promise<void> {
  if (!container) return;
  await container.remove({ force: true }).catch(() => {});
}

export type Probe =
  | { kind: 'banner'; banner: string }
  | { kind: 'status'; status: number }
  | { kind: 'error' };

/**
 * One WebSocket attempt on /websockify: the first RFB bytes when the upgrade succeeds, the HTTP
 * status when it is refused, or an error while nothing listens yet.
 */
export function probe(port: number, authorization?: string, timeoutMs = 5_000): Promise<Probe> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/websockify`, {
      rejectUnauthorized: false,
      headers: authorization ? { Authorization: authorization } : {},
    });
    const done = (result: Probe): void => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      resolve(result);
    };
    const timer = setTimeout(() => done({ kind: 'error' }), timeoutMs);
    ws.on('unexpected-response', (_req, res) => done({ kind: 'status', status: res.statusCode ?? 0 }));
    ws.on('message', (data: Buffer) => done({ kind: 'banner', banner: data.toString('latin1') }));
    ws.on('error', () => done({ kind: 'error' }));
    ws.on('close', () => done({ kind: 'error' }));
  });
}

/** Polls until the RFB banner answers (the readiness signal of the image contract). */
export async function waitForBanner(port: number, password: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const result = await probe(port, basicAuth('kasm_user', password));
    if (result.kind === 'banner') return result.banner;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no RFB banner on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** Runs a command in the container as its default user; returns exit code and output. */
export async function exec(
  container: Dockerode.Container,
  cmd: string[],
): Promise<{ code: number; output: string }> {
  const run = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await run.start({});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const info = await run.inspect();
  return { code: info.ExitCode ?? -1, output: demux(Buffer.concat(chunks)) };
}

// Docker multiplexes stdout/stderr with 8-byte frame headers when there is no TTY.
function demux(buffer: Buffer): string {
  let out = '';
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    out += buffer.subarray(offset + 8, offset + 8 + size).toString('utf8');
    offset += 8 + size;
  }
  return out;
}

export async function waitForExit(container: Dockerode.Container, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const state = (await container.inspect()).State;
    if (!state.Running && state.Status !== 'created') return state.ExitCode;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`container still running after ${timeoutMs} ms`);
}

export async function logs(container: Dockerode.Container): Promise<string> {
  const buffer = await container.logs({ stdout: true, stderr: true, follow: false });
  return demux(buffer);
}
