import { containerStateSchema } from '@porthole/contracts';
import type Docker from 'dockerode';
import type {
  ContainerCreateSpec,
  ContainerInfo,
  ContainerState,
  ContainerStatsSample,
} from './container-runtime.js';

const STATES: ReadonlySet<string> = new Set<ContainerState>(containerStateSchema.options);

const RFB_PORT = '6901/tcp';

export function toCreateOptions(spec: ContainerCreateSpec): Docker.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const port of spec.ports) {
    const key = `${port.containerPort}/${port.protocol}`;
    exposed[key] = {};
    const list = bindings[key] ?? [];
    // An empty HostPort asks the daemon for a random free port.
    list.push({ HostIp: port.hostIp, HostPort: port.hostPort ? String(port.hostPort) : '' });
    bindings[key] = list;
  }
  const securityOpt = spec.security.noNewPrivileges ? ['no-new-privileges'] : [];
  const hostConfig: Docker.HostConfig = {
    Privileged: false,
    Memory: spec.limits.memoryBytes,
    // Equal to Memory: no swap on top, so the limit the admin set is the limit the session gets.
    MemorySwap: spec.limits.memoryBytes,
    NanoCpus: spec.limits.nanoCpus,
    PidsLimit: spec.limits.pidsLimit,
    ShmSize: spec.limits.shmBytes,
    CapDrop: [...spec.security.capDrop],
    CapAdd: [...spec.security.capAdd],
    SecurityOpt: securityOpt,
    ReadonlyRootfs: spec.security.readonlyRootfs ?? false,
    PortBindings: bindings,
    Mounts: spec.mounts.map((m) => ({
      Type: m.source.startsWith('/') ? ('bind' as const) : ('volume' as const),
      Source: m.source,
      Target: m.target,
      ReadOnly: m.readOnly,
    })),
    RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
  };
  if (spec.networkName) hostConfig.NetworkMode = spec.networkName;
  if (spec.dns?.length) hostConfig.Dns = [...spec.dns];
  if (spec.dnsSearch?.length) hostConfig.DnsSearch = [...spec.dnsSearch];
  if (spec.extraHosts?.length) hostConfig.ExtraHosts = [...spec.extraHosts];
  if (spec.log) {
    hostConfig.LogConfig = {
      Type: 'json-file',
      Config: { 'max-size': String(spec.log.maxSizeBytes), 'max-file': String(spec.log.maxFiles) },
    };
  }
  const options: Docker.ContainerCreateOptions = {
    Image: spec.image,
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    Labels: { ...spec.labels },
    ExposedPorts: exposed,
    HostConfig: hostConfig,
  };
  if (spec.name) options.name = spec.name;
  if (spec.cmd) options.Cmd = [...spec.cmd];
  if (spec.entrypoint) options.Entrypoint = [...spec.entrypoint];
  if (spec.user) options.User = spec.user;
  if (spec.workdir) options.WorkingDir = spec.workdir;
  if (spec.hostname) options.Hostname = spec.hostname;
  if (spec.stopTimeoutSec !== undefined) options.StopTimeout = spec.stopTimeoutSec;
  return options;
}

function timeOrNull(value: string | undefined): string | null {
  // Docker reports "never" as the zero time.
  return value && !value.startsWith('0001-01-01') ? value : null;
}

export function toContainerInfo(raw: Docker.ContainerInspectInfo): ContainerInfo {
  const status = raw.State?.Status ?? '';
  const state: ContainerState = STATES.has(status) ? (status as ContainerState) : 'dead';
  const bindings = raw.NetworkSettings?.Ports?.[RFB_PORT] ?? [];
  const hostPort = bindings.find((b) => b.HostPort !== '')?.HostPort;
  const pids = raw.HostConfig?.PidsLimit;
  const finishedAt = timeOrNull(raw.State?.FinishedAt);
  return {
    id: raw.Id,
    name: raw.Name.replace(/^\//, ''),
    image: raw.Config?.Image ?? raw.Image,
    state,
    labels: { ...(raw.Config?.Labels ?? {}) },
    rfbHostPort: hostPort ? Number(hostPort) : null,
    limits: {
      memoryBytes: raw.HostConfig?.Memory ?? 0,
      nanoCpus: raw.HostConfig?.NanoCpus ?? 0,
      pidsLimit: typeof pids === 'number' && pids > 0 ? pids : null,
    },
    createdAt: timeOrNull(raw.Created),
    startedAt: timeOrNull(raw.State?.StartedAt),
    finishedAt,
    // Only meaningful once the container has run and stopped.
    exitCode: finishedAt && state !== 'running' && state !== 'paused' ? (raw.State?.ExitCode ?? null) : null,
    error: raw.State?.Error ? raw.State.Error : null,
    oomKilled: raw.State?.OOMKilled ?? false,
    env: envRecord(raw.Config?.Env),
  };
}

function envRecord(list: string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of list ?? []) {
    const at = item.indexOf('=');
    if (at > 0) env[item.slice(0, at)] = item.slice(at + 1);
  }
  return env;
}

/** Same arithmetic as `docker stats`, for cgroup v1 and v2. */
export function toStatsSample(raw: Docker.ContainerStats): ContainerStatsSample {
  const cpuDelta =
    (raw.cpu_stats?.cpu_usage?.total_usage ?? 0) - (raw.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (raw.cpu_stats?.system_cpu_usage ?? 0) - (raw.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = raw.cpu_stats?.online_cpus || raw.cpu_stats?.cpu_usage?.percpu_usage?.length || 1;
  const cpuPercent = cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0;
  const usage = raw.memory_stats?.usage ?? 0;
  const stats = (raw.memory_stats?.stats ?? {}) as Record<string, number | undefined>;
  // cgroup v1 names the page cache total_inactive_file, v2 inactive_file.
  const inactive = stats.total_inactive_file ?? stats.inactive_file ?? 0;
  const memoryBytes = inactive < usage ? usage - inactive : usage;
  return { cpuPercent: Math.round(cpuPercent * 100) / 100, memoryBytes };
}
