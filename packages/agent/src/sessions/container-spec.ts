import { posix } from 'node:path';
import { isEngineSocketSource, isReservedSessionEnv } from '@porthole/contracts';
import type { ContainerCreateSpec, LabelSelector, MountSpec } from '../runtime/container-runtime.js';

export const SESSION_LABELS = {
  session: 'io.porthole.session',
  agent: 'io.porthole.agent',
  owner: 'io.porthole.owner',
  image: 'io.porthole.image',
} as const;

export const RFB_CONTAINER_PORT = 6901;
export const SESSION_PIDS_LIMIT = 1024;
/** Docker refuses memory limits below 6 MiB. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;
/** NanoCpus granularity Docker accepts (0.01 CPU). */
export const MIN_CORES = 0.01;

/**
 * Capabilities kept after dropping ALL. Workspace images run as uid 1000 with no-new-privileges,
 * so in practice their processes hold none of these; the bounding set matters only for images
 * whose entrypoint starts as root to prepare the home directory and then drops to uid 1000:
 * - CHOWN, FOWNER, DAC_OVERRIDE: fix ownership/permissions of /home/kasm-user and mounted dirs.
 * - SETUID, SETGID: switch to uid/gid 1000 (su/setpriv/gosu) after that preparation.
 * - KILL: a root supervisor signalling its uid-1000 children on stop.
 * Not kept, on purpose: NET_BIND_SERVICE (6901 is unprivileged), NET_RAW (ping spoofing),
 * SYS_CHROOT, MKNOD, AUDIT_WRITE, SETFCAP, SETPCAP (Docker defaults no image here needs).
 */
export const SESSION_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETUID', 'SETGID', 'KILL'] as const;

/**
 * docker-py `run` keys (Kasm's "Docker Run Config Override" spelling) that cannot weaken the
 * sandbox. Everything else (user, privileged, cap_add, devices, network_mode, volumes, ports…)
 * is refused rather than ignored, so an admin learns why a pasted Kasm override did not apply.
 */
export const SAFE_RUN_CONFIG_KEYS = [
  'hostname',
  'environment',
  'labels',
  'dns',
  'dns_search',
  'extra_hosts',
  'working_dir',
] as const;

export interface VolumeMapping {
  /** Absolute host path (bind mount) or a named volume. */
  source: string;
  /** Absolute path inside the container. */
  target: string;
  /** Bind mounts default to read-only, named volumes to read-write. */
  readOnly?: boolean;
}

export interface SessionContainerRequest {
  sessionId: string;
  ownerId: string;
  agentId: string;
  image: { ref: string; name: string };
  /** Becomes VNC_PW: the basic-auth password websockify checks. */
  vncPassword: string;
  kasmUser?: string;
  /** A URL for the workspace to open (KASM_URL). */
  kasmUrl?: string;
  /** Extra environment from the image settings; reserved names are refused. */
  env?: Readonly<Record<string, string>>;
  /** Fractional cores, e.g. 1.5. */
  cores: number;
  memoryBytes: number;
  shmBytes: number;
  networkName?: string;
  volumes?: readonly VolumeMapping[];
  /** Admin-supplied JSON; only SAFE_RUN_CONFIG_KEYS are accepted. */
  runConfig?: Readonly<Record<string, unknown>>;
}

export interface HostCapacity {
  cores?: number;
  memoryBytes?: number;
  /** Image refs present on the agent; when given, an absent image is refused. */
  availableImages?: ReadonlySet<string>;
}

export interface SpecIssue {
  /** Dotted path of the offending field, e.g. "volumes[1].source". */
  field: string;
  message: string;
}

export class ContainerSpecError extends Error {
  override readonly name = 'ContainerSpecError';
  readonly field: string;
  constructor(readonly issues: readonly SpecIssue[]) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join('; '));
    this.field = issues[0]?.field ?? '';
  }
}

const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_REF = new RegExp(
  `^(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NETWORK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;
const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]+$/;
const HOSTNAME =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const CONTROL_CHARS = /[\0\r\n]/;

function isPositiveFinite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function stringList(value: unknown): string[] | null {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : null;
}

/** docker-py accepts a mapping or a list of "K=V" / "host:ip" strings; normalise to a mapping. */
function stringMap(value: unknown, separator: '=' | ':'): Record<string, string> | null {
  const list = stringList(value);
  if (list) {
    const out: Record<string, string> = {};
    for (const item of list) {
      const at = item.indexOf(separator);
      if (at <= 0) return null;
      out[item.slice(0, at)] = item.slice(at + 1);
    }
    return out;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const entries = Object.entries(value);
  if (!entries.every(([, v]) => typeof v === 'string')) return null;
  return Object.fromEntries(entries) as Record<string, string>;
}

/** Reserved names follow the server's launch rule, so a name it lets through is not refused here. */
function checkEnv(env: Record<string, string>, field: string, issues: SpecIssue[]): void {
  for (const [key, value] of Object.entries(env)) {
    if (!ENV_NAME.test(key))
      issues.push({ field: `${field}.${key}`, message: 'is not a valid variable name' });
    else if (isReservedSessionEnv(key)) {
      issues.push({ field: `${field}.${key}`, message: 'is set by the platform and cannot be overridden' });
    } else if (value.includes('\0'))
      issues.push({ field: `${field}.${key}`, message: 'contains a NUL byte' });
  }
}

function checkRunConfig(runConfig: Readonly<Record<string, unknown>>, issues: SpecIssue[]): void {
  for (const [key, value] of Object.entries(runConfig)) {
    const field = `runConfig.${key}`;
    if (!(SAFE_RUN_CONFIG_KEYS as readonly string[]).includes(key)) {
      issues.push({ field, message: `is not allowed (allowed: ${SAFE_RUN_CONFIG_KEYS.join(', ')})` });
      continue;
    }
    if (key === 'hostname' && (typeof value !== 'string' || !HOSTNAME.test(value) || value.length > 253)) {
      issues.push({ field, message: 'must be a valid hostname' });
    } else if (key === 'working_dir' && (typeof value !== 'string' || !value.startsWith('/'))) {
      issues.push({ field, message: 'must be an absolute path' });
    } else if ((key === 'dns' || key === 'dns_search') && stringList(value) === null) {
      issues.push({ field, message: 'must be a list of strings' });
    } else if (key === 'environment') {
      const env = stringMap(value, '=');
      if (env === null) issues.push({ field, message: 'must be a mapping or a list of "NAME=value"' });
      else checkEnv(env, field, issues);
    } else if (key === 'labels') {
      const labels = stringMap(value, '=');
      if (labels === null) issues.push({ field, message: 'must be a mapping of strings' });
      else if (Object.keys(labels).some((k) => k.startsWith('io.porthole.'))) {
        issues.push({ field, message: 'may not set io.porthole.* labels' });
      }
    } else if (key === 'extra_hosts' && stringMap(value, ':') === null) {
      issues.push({ field, message: 'must be a mapping of host to IP or a list of "host:ip"' });
    }
  }
}

function checkVolumes(volumes: readonly VolumeMapping[], issues: SpecIssue[]): void {
  const targets = new Set<string>();
  volumes.forEach((volume, index) => {
    const field = `volumes[${index}]`;
    const source = typeof volume.source === 'string' ? volume.source : '';
    const target = typeof volume.target === 'string' ? volume.target : '';
    if (source === '') issues.push({ field: `${field}.source`, message: 'is required' });
    else if (source.startsWith('/')) {
      if (isEngineSocketSource(source)) {
        issues.push({
          field: `${field}.source`,
          message: `${source} would expose the container engine socket`,
        });
      }
    } else if (!VOLUME_NAME.test(source)) {
      issues.push({ field: `${field}.source`, message: 'must be an absolute host path or a volume name' });
    }
    const normalizedTarget = posix.normalize(target).replace(/(.)\/+$/, '$1');
    if (!target.startsWith('/') || normalizedTarget === '/') {
      issues.push({ field: `${field}.target`, message: 'must be an absolute path other than /' });
    } else if (targets.has(normalizedTarget)) {
      issues.push({ field: `${field}.target`, message: `${target} is mounted twice` });
    }
    targets.add(normalizedTarget);
  });
}

export function validateSessionContainerRequest(
  request: SessionContainerRequest,
  host: HostCapacity = {},
): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const need = (field: string, value: unknown) => {
    if (typeof value !== 'string' || value.trim() === '') issues.push({ field, message: 'is required' });
    else if (CONTROL_CHARS.test(value)) issues.push({ field, message: 'contains control characters' });
  };
  if (typeof request.sessionId !== 'string' || !SESSION_ID.test(request.sessionId)) {
    issues.push({
      field: 'sessionId',
      message: 'must be 1-128 characters of A-Z a-z 0-9 _ . - (not starting with _ . -)',
    });
  }
  need('ownerId', request.ownerId);
  need('agentId', request.agentId);
  need('image.name', request.image?.name);
  const ref = request.image?.ref;
  if (typeof ref !== 'string' || ref === '') issues.push({ field: 'image.ref', message: 'is required' });
  else if (!IMAGE_REF.test(ref))
    issues.push({ field: 'image.ref', message: `"${ref}" is not a valid image reference` });
  else if (host.availableImages && !host.availableImages.has(ref)) {
    issues.push({ field: 'image.ref', message: `${ref} is not present on this agent` });
  }
  need('vncPassword', request.vncPassword);
  if (request.kasmUser !== undefined) need('kasmUser', request.kasmUser);
  if (request.kasmUrl !== undefined) need('kasmUrl', request.kasmUrl);

  if (!isPositiveFinite(request.cores)) issues.push({ field: 'cores', message: 'must be a positive number' });
  else if (request.cores < MIN_CORES)
    issues.push({ field: 'cores', message: `must be at least ${MIN_CORES}` });
  else if (host.cores !== undefined && request.cores > host.cores) {
    issues.push({ field: 'cores', message: `${request.cores} exceeds the host's ${host.cores} cores` });
  }
  if (!Number.isSafeInteger(request.memoryBytes) || request.memoryBytes <= 0) {
    issues.push({ field: 'memoryBytes', message: 'must be a positive whole number of bytes' });
  } else if (request.memoryBytes < MIN_MEMORY_BYTES) {
    issues.push({ field: 'memoryBytes', message: `must be at least ${MIN_MEMORY_BYTES} bytes (6 MiB)` });
  } else if (host.memoryBytes !== undefined && request.memoryBytes > host.memoryBytes) {
    issues.push({
      field: 'memoryBytes',
      message: `${request.memoryBytes} exceeds the host's ${host.memoryBytes} bytes`,
    });
  }
  if (!Number.isSafeInteger(request.shmBytes) || request.shmBytes <= 0) {
    issues.push({ field: 'shmBytes', message: 'must be a positive whole number of bytes' });
  }
  if (request.networkName !== undefined) {
    if (!NETWORK_NAME.test(request.networkName)) {
      issues.push({ field: 'networkName', message: 'is not a valid network name' });
    } else if (['host', 'none', 'default'].includes(request.networkName)) {
      // host would bypass the loopback-only publishing; none leaves nothing to stream from.
      issues.push({ field: 'networkName', message: `"${request.networkName}" is not allowed for sessions` });
    }
  }
  checkEnv(request.env ?? {}, 'env', issues);
  checkVolumes(request.volumes ?? [], issues);
  checkRunConfig(request.runConfig ?? {}, issues);
  return issues;
}

function toMount(volume: VolumeMapping): MountSpec {
  const bind = volume.source.startsWith('/');
  return { source: volume.source, target: volume.target, readOnly: volume.readOnly ?? bind };
}

/** The runtime create spec for a session container; throws ContainerSpecError on invalid input. */
export function buildSessionContainerSpec(
  request: SessionContainerRequest,
  host: HostCapacity = {},
): ContainerCreateSpec {
  const issues = validateSessionContainerRequest(request, host);
  if (issues.length > 0) throw new ContainerSpecError(issues);
  const run = request.runConfig ?? {};
  const env: Record<string, string> = {
    ...(request.env ?? {}),
    ...(stringMap(run.environment ?? {}, '=') ?? {}),
    VNC_PW: request.vncPassword,
    KASM_ID: request.sessionId,
    PORTHOLE_SESSION_ID: request.sessionId,
  };
  if (request.kasmUser !== undefined) env.KASM_USER = request.kasmUser;
  if (request.kasmUrl !== undefined) env.KASM_URL = request.kasmUrl;
  const spec: ContainerCreateSpec = {
    name: `porthole-session-${request.sessionId}`,
    image: request.image.ref,
    env,
    labels: {
      ...(stringMap(run.labels ?? {}, '=') ?? {}),
      [SESSION_LABELS.session]: request.sessionId,
      [SESSION_LABELS.agent]: request.agentId,
      [SESSION_LABELS.owner]: request.ownerId,
      [SESSION_LABELS.image]: request.image.name,
    },
    limits: {
      memoryBytes: request.memoryBytes,
      nanoCpus: Math.round(request.cores * 1e9),
      pidsLimit: SESSION_PIDS_LIMIT,
      shmBytes: request.shmBytes,
    },
    security: { capDrop: ['ALL'], capAdd: [...SESSION_CAPABILITIES], noNewPrivileges: true },
    // Loopback only: the agent's gateway is the sole way in, and it injects the credentials.
    ports: [{ containerPort: RFB_CONTAINER_PORT, protocol: 'tcp', hostIp: '127.0.0.1' }],
    mounts: (request.volumes ?? []).map(toMount),
    log: { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 2 },
  };
  if (request.networkName) spec.networkName = request.networkName;
  if (typeof run.hostname === 'string') spec.hostname = run.hostname;
  if (typeof run.working_dir === 'string') spec.workdir = run.working_dir;
  const dns = stringList(run.dns);
  if (dns) spec.dns = dns;
  const dnsSearch = stringList(run.dns_search);
  if (dnsSearch) spec.dnsSearch = dnsSearch;
  const extraHosts = run.extra_hosts === undefined ? null : stringMap(run.extra_hosts, ':');
  if (extraHosts) spec.extraHosts = Object.entries(extraHosts).map(([h, ip]) => `${h}:${ip}`);
  return spec;
}

/** Selects every session container this agent created (for list, events and reconcile). */
export function agentSessionSelector(agentId: string): LabelSelector {
  return { [SESSION_LABELS.agent]: agentId, [SESSION_LABELS.session]: true };
}
