/**
 * The agent's view of a container engine. Plain types only, so the session, check-in and image
 * modules never see Docker's wire types and a Kubernetes runtime can sit beside the Docker one.
 */

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead' | 'removing';

/** Label key → exact value, or `true` for "label present with any value". */
export type LabelSelector = Readonly<Record<string, string | true>>;

export interface PortPublish {
  containerPort: number;
  protocol: 'tcp' | 'udp';
  /** Host address to bind; the session spec always uses 127.0.0.1. */
  hostIp: string;
  /** Omit (or 0) for a random free host port. */
  hostPort?: number;
}

export interface MountSpec {
  /** Absolute host path (bind mount) or a named volume. */
  source: string;
  target: string;
  readOnly: boolean;
}

export interface ResourceLimits {
  memoryBytes: number;
  nanoCpus: number;
  pidsLimit: number;
  shmBytes: number;
}

export interface SecurityProfile {
  capDrop: readonly string[];
  capAdd: readonly string[];
  noNewPrivileges: boolean;
  readonlyRootfs?: boolean;
}

/**
 * What the runtime creates. There is deliberately no "privileged" field: a runtime must never
 * create a privileged container, so the option is not expressible.
 */
export interface ContainerCreateSpec {
  name?: string;
  image: string;
  cmd?: string[];
  entrypoint?: string[];
  env: Readonly<Record<string, string>>;
  labels: Readonly<Record<string, string>>;
  user?: string;
  workdir?: string;
  hostname?: string;
  limits: ResourceLimits;
  security: SecurityProfile;
  ports: readonly PortPublish[];
  mounts: readonly MountSpec[];
  /** Network to attach to; the engine's default bridge when absent. */
  networkName?: string;
  dns?: readonly string[];
  dnsSearch?: readonly string[];
  /** "host:ip" entries for /etc/hosts. */
  extraHosts?: readonly string[];
  /** Bounds the engine's log files so a chatty session cannot fill the disk. */
  log?: { maxSizeBytes: number; maxFiles: number };
  stopTimeoutSec?: number;
}

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  state: ContainerState;
  labels: Record<string, string>;
  /** Host port published for 6901/tcp, or null when not (yet) published. */
  rfbHostPort: number | null;
  limits: { memoryBytes: number; nanoCpus: number; pidsLimit: number | null };
  createdAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  /** The engine's error text (e.g. why start failed), or null. */
  error: string | null;
  oomKilled: boolean;
  /**
   * The container's configured environment (secrets included, e.g. VNC_PW): the agent rebuilds its
   * session records from it after a restart. Never log a ContainerInfo whole.
   */
  env?: Record<string, string>;
}

export interface ExecOptions {
  cmd: string[];
  env?: Readonly<Record<string, string>>;
  workdir?: string;
  user?: string;
  /** Output beyond this is dropped (the tail is lost); default 1 MiB. */
  maxOutputBytes?: number;
}

export interface ExecResult {
  exitCode: number;
  /** stdout and stderr interleaved as the process wrote them. */
  output: string;
  truncated: boolean;
}

export interface ContainerStatsSample {
  /** 100 = one full core. */
  cpuPercent: number;
  /** Working set: usage minus inactive page cache, like `docker stats`. */
  memoryBytes: number;
}

export type ContainerEventAction =
  | 'create'
  | 'start'
  | 'die'
  | 'stop'
  | 'kill'
  | 'pause'
  | 'unpause'
  | 'destroy'
  | 'oom'
  | 'restart'
  | 'health_status';

export interface ContainerEvent {
  containerId: string;
  action: ContainerEventAction;
  labels: Record<string, string>;
  /** Set on `die`. */
  exitCode: number | null;
  /** Unix milliseconds. */
  time: number;
}

export interface EventsOptions {
  labels: LabelSelector;
  /**
   * Called after the stream comes back from a disconnect. Events may have been missed while it was
   * down, so this is the place to reconcile (list containers and compare).
   */
  onReconnect?: () => void;
  /** Called once per outage (not per failed retry), with the error that started it. */
  onDisconnect?: (error: Error) => void;
  /** Retry delays double from initialMs up to maxMs; defaults 250 ms and 10 s. */
  backoff?: { initialMs: number; maxMs: number };
}

export interface PullProgress {
  layersTotal: number;
  layersDone: number;
  bytesTotal: number;
  bytesDone: number;
}

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress?: string;
}

export interface ImageSummary {
  id: string;
  repoTags: string[];
  sizeBytes: number;
  createdAt: string;
}

export interface EngineInfo {
  cores: number;
  memoryBytes: number;
  dockerVersion: string;
  dataRoot: string;
}

export interface ContainerRuntime {
  create(spec: ContainerCreateSpec): Promise<{ containerId: string }>;
  /** Idempotent: starting a running container succeeds. */
  start(id: string): Promise<void>;
  /** Idempotent: stopping a stopped container succeeds. */
  stop(id: string, timeoutSec: number): Promise<void>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  /** Idempotent: removing a missing container succeeds. */
  remove(id: string, options: { force: boolean }): Promise<void>;
  /** null when the container does not exist. */
  inspect(id: string): Promise<ContainerInfo | null>;
  /** Containers (any state) carrying every selected label; an empty selector is refused. */
  list(options: { labels: LabelSelector }): Promise<ContainerInfo[]>;
  exec(id: string, options: ExecOptions): Promise<ExecResult>;
  stats(id: string): Promise<ContainerStatsSample>;
  /** Returns a function that stops the subscription. */
  events(onEvent: (event: ContainerEvent) => void, options: EventsOptions): () => void;
  imagePresent(ref: string): Promise<boolean>;
  pullImage(ref: string, onProgress: (progress: PullProgress) => void, auth?: RegistryAuth): Promise<void>;
  /** Idempotent: removing a missing image succeeds. */
  removeImage(ref: string, options: { force: boolean }): Promise<void>;
  listImages(): Promise<ImageSummary[]>;
  info(): Promise<EngineInfo>;
  /** Resolves when the engine answers, rejects with a RuntimeError('unavailable') otherwise. */
  ping(): Promise<void>;
}

export type RuntimeErrorCode = 'not_found' | 'conflict' | 'invalid' | 'unavailable' | 'failed';

/** Every runtime method rejects with this, so callers can branch on `code` without engine knowledge. */
export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    readonly statusCode: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
