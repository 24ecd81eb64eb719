import { randomBytes } from 'node:crypto';
import type {
  ContainerCreateSpec,
  ContainerEvent,
  ContainerInfo,
  ContainerRuntime,
  ContainerStatsSample,
  EngineInfo,
  EventsOptions,
  ExecOptions,
  ExecResult,
  ImageSummary,
  LabelSelector,
  PullProgress,
} from '../runtime/container-runtime.js';
import { RuntimeError } from '../runtime/container-runtime.js';

function matches(labels: Record<string, string>, selector: LabelSelector): boolean {
  const entries = Object.entries(selector);
  if (entries.length === 0) throw new Error('a label selector needs at least one label');
  return entries.every(([key, value]) => (value === true ? key in labels : labels[key] === value));
}

/**
 * An in-memory ContainerRuntime for unit tests of the agent's logic: containers, images and
 * events without Docker. Hooks let a test make a step fail or block.
 */
export class MemoryRuntime implements ContainerRuntime {
  readonly containers = new Map<string, ContainerInfo>();
  readonly images = new Set<string>();
  readonly calls: string[] = [];
  /** Throw from start (e.g. a bad command) once set. */
  startError: RuntimeError | null = null;
  /** How a pull behaves; the default adds the image after reporting one layer. */
  pull: (ref: string, onProgress: (p: PullProgress) => void) => Promise<void> = async (ref, onProgress) => {
    onProgress({ layersTotal: 1, layersDone: 1, bytesTotal: 10, bytesDone: 10 });
    this.images.add(ref);
  };
  private readonly listeners = new Set<(event: ContainerEvent) => void>();
  private readonly reconnectHooks = new Set<() => void>();
  private nextPort = 40000;

  async create(spec: ContainerCreateSpec): Promise<{ containerId: string }> {
    this.calls.push(`create ${spec.name ?? ''}`);
    if (!this.images.has(spec.image))
      throw new RuntimeError('not_found', `No such image: ${spec.image}`, 404);
    for (const info of this.containers.values()) {
      if (spec.name && info.name === spec.name) {
        throw new RuntimeError(
          'conflict',
          `Conflict. The container name "/${spec.name}" is already in use`,
          409,
        );
      }
    }
    const id = randomBytes(32).toString('hex');
    this.containers.set(id, {
      id,
      name: spec.name ?? id.slice(0, 12),
      image: spec.image,
      state: 'created',
      labels: { ...spec.labels },
      rfbHostPort: null,
      limits: {
        memoryBytes: spec.limits.memoryBytes,
        nanoCpus: spec.limits.nanoCpus,
        pidsLimit: spec.limits.pidsLimit,
      },
      createdAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
      exitCode: null,
      error: null,
      oomKilled: false,
      env: { ...spec.env },
    });
    this.emit(id, 'create');
    return { containerId: id };
  }

  async start(id: string): Promise<void> {
    this.calls.push(`start ${id}`);
    const info = this.need(id);
    if (this.startError) throw this.startError;
    if (info.state === 'running') return;
    info.state = 'running';
    info.rfbHostPort = this.nextPort++;
    info.exitCode = null;
    this.emit(id, 'start');
  }

  async stop(id: string): Promise<void> {
    this.calls.push(`stop ${id}`);
    const info = this.need(id);
    if (info.state !== 'running' && info.state !== 'paused') return;
    this.exit(info, 0);
  }

  async pause(id: string): Promise<void> {
    this.calls.push(`pause ${id}`);
    const info = this.need(id);
    if (info.state !== 'running') throw new RuntimeError('conflict', `Container ${id} is not running`, 409);
    info.state = 'paused';
    this.emit(id, 'pause');
  }

  async unpause(id: string): Promise<void> {
    this.calls.push(`unpause ${id}`);
    const info = this.need(id);
    if (info.state !== 'paused') throw new RuntimeError('conflict', `Container ${id} is not paused`, 409);
    info.state = 'running';
    this.emit(id, 'unpause');
  }

  async remove(id: string): Promise<void> {
    this.calls.push(`remove ${id}`);
    if (!this.containers.has(id)) return;
    this.emit(id, 'destroy');
    this.containers.delete(id);
  }

  async inspect(id: string): Promise<ContainerInfo | null> {
    const info = this.containers.get(id);
    return info ? structuredClone(info) : null;
  }

  async list(options: { labels: LabelSelector }): Promise<ContainerInfo[]> {
    return [...this.containers.values()]
      .filter((info) => matches(info.labels, options.labels))
      .map((info) => structuredClone(info));
  }

  async exec(id: string, options: ExecOptions): Promise<ExecResult> {
    this.calls.push(`exec ${id} ${options.cmd.join(' ')}`);
    const info = this.need(id);
    if (info.state !== 'running') throw new RuntimeError('conflict', `Container ${id} is not running`, 409);
    return { exitCode: 0, output: `ran ${options.cmd.at(-1) ?? ''}\n`, truncated: false };
  }

  async stats(): Promise<ContainerStatsSample> {
    return { cpuPercent: 50, memoryBytes: 1024 };
  }

  events(onEvent: (event: ContainerEvent) => void, options: EventsOptions): () => void {
    const listener = (event: ContainerEvent) => {
      if (matches(event.labels, options.labels)) onEvent(event);
    };
    const onReconnect = options.onReconnect;
    this.listeners.add(listener);
    if (onReconnect) this.reconnectHooks.add(onReconnect);
    return () => {
      this.listeners.delete(listener);
      if (onReconnect) this.reconnectHooks.delete(onReconnect);
    };
  }

  async imagePresent(ref: string): Promise<boolean> {
    return this.images.has(ref);
  }

  async pullImage(ref: string, onProgress: (progress: PullProgress) => void): Promise<void> {
    this.calls.push(`pull ${ref}`);
    await this.pull(ref, onProgress);
  }

  async removeImage(ref: string): Promise<void> {
    this.images.delete(ref);
  }

  async listImages(): Promise<ImageSummary[]> {
    return [...this.images].map((ref) => ({ id: ref, repoTags: [ref], sizeBytes: 0, createdAt: '' }));
  }

  async info(): Promise<EngineInfo> {
    return { cores: 4, memoryBytes: 8 * 1024 ** 3, dockerVersion: '27.0.0-memory', dataRoot: '/' };
  }

  async ping(): Promise<void> {}

  /** Simulates the process inside exiting on its own; `silently` as if the event stream were down. */
  crash(id: string, exitCode: number, options: { silently?: boolean } = {}): void {
    this.exit(this.need(id), exitCode, options.silently ?? false);
  }

  /** Simulates the event stream coming back after a daemon restart. */
  reconnect(): void {
    for (const hook of this.reconnectHooks) hook();
  }

  private exit(info: ContainerInfo, exitCode: number, silently = false): void {
    info.state = 'exited';
    info.rfbHostPort = null;
    info.exitCode = exitCode;
    info.finishedAt = new Date().toISOString();
    if (!silently) this.emit(info.id, 'die', exitCode);
  }

  private need(id: string): ContainerInfo {
    const info = this.containers.get(id);
    if (!info) throw new RuntimeError('not_found', `No such container: ${id}`, 404);
    return info;
  }

  private emit(id: string, action: ContainerEvent['action'], exitCode: number | null = null): void {
    const info = this.containers.get(id);
    if (!info) return;
    const event: ContainerEvent = {
      containerId: id,
      action,
      labels: { ...info.labels },
      exitCode,
      time: Date.now(),
    };
    for (const listener of this.listeners) listener(event);
  }
}
