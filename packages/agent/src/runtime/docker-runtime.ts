import { Readable } from 'node:stream';
import Docker from 'dockerode';
import {
  type ContainerCreateSpec,
  type ContainerEvent,
  type ContainerInfo,
  type ContainerRuntime,
  type ContainerStatsSample,
  type EngineInfo,
  type EventsOptions,
  type ExecOptions,
  type ExecResult,
  type ImageSummary,
  type LabelSelector,
  type PullProgress,
  type RegistryAuth,
  RuntimeError,
} from './container-runtime.js';
import {
  type DockerConnectionOptions,
  describeDockerConnection,
  parseDockerConnection,
} from './docker-connection.js';
import { dockerCall, dockerMessage, statusCodeOf, toRuntimeError } from './docker-errors.js';
import { subscribeEvents } from './docker-events.js';
import { toContainerInfo, toCreateOptions, toStatsSample } from './docker-mapping.js';
import { ExecOutputCollector } from './exec-output.js';
import { JsonLineSplitter } from './json-lines.js';
import { labelFilters, matchesLabels } from './labels.js';
import { PullProgressTracker } from './pull-progress.js';

const DEFAULT_EXEC_OUTPUT = 1024 * 1024;
const INSPECT_CONCURRENCY = 8;

/** Splits "host:5000/repo/name:tag" into repo and tag; a digest or missing tag yields "latest". */
export function splitImageRef(ref: string): { repo: string; tag: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repo: ref.slice(0, at), tag: ref.slice(at + 1) };
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: 'latest' };
}

/** Docker reports failures inside 200 streams (pull, push, import) as {error} lines. */
function notFoundLike(message: string): boolean {
  return /not found|manifest unknown|does not exist|pull access denied|repository .* not found/i.test(
    message,
  );
}

export class DockerRuntime implements ContainerRuntime {
  private readonly docker: Docker;
  readonly endpoint: string;

  constructor(connection?: DockerConnectionOptions | string) {
    const options = parseDockerConnection(connection);
    this.endpoint = describeDockerConnection(options);
    this.docker = new Docker(options);
  }

  async create(spec: ContainerCreateSpec): Promise<{ containerId: string }> {
    const container = await dockerCall(`create container from ${spec.image}`, () =>
      this.docker.createContainer(toCreateOptions(spec)),
    );
    if (!container)
      throw new RuntimeError('failed', `create container from ${spec.image}: no container returned`);
    return { containerId: container.id };
  }

  async start(id: string): Promise<void> {
    await dockerCall(`start ${id}`, () => this.docker.getContainer(id).start(), [304]);
  }

  async stop(id: string, timeoutSec: number): Promise<void> {
    await dockerCall(`stop ${id}`, () => this.docker.getContainer(id).stop({ t: timeoutSec }), [304]);
  }

  async pause(id: string): Promise<void> {
    await dockerCall(`pause ${id}`, () => this.docker.getContainer(id).pause());
  }

  async unpause(id: string): Promise<void> {
    await dockerCall(`unpause ${id}`, () => this.docker.getContainer(id).unpause());
  }

  async remove(id: string, options: { force: boolean }): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: options.force, v: true });
    } catch (error) {
      const status = statusCodeOf(error);
      if (status === 404) return;
      // Another caller is already removing it: the outcome the caller asked for is on its way.
      if (status === 409 && /already in progress/i.test(dockerMessage(error))) return;
      throw toRuntimeError(error, `remove ${id}`);
    }
  }

  async inspect(id: string): Promise<ContainerInfo | null> {
    const raw = await dockerCall(`inspect ${id}`, () => this.docker.getContainer(id).inspect(), [404]);
    return raw ? toContainerInfo(raw) : null;
  }

  async list(options: { labels: LabelSelector }): Promise<ContainerInfo[]> {
    const filters = { label: labelFilters(options.labels) };
    const summaries =
      (await dockerCall('list containers', () => this.docker.listContainers({ all: true, filters }))) ?? [];
    const ids = summaries.filter((s) => matchesLabels(s.Labels ?? {}, options.labels)).map((s) => s.Id);
    const out: ContainerInfo[] = [];
    for (let i = 0; i < ids.length; i += INSPECT_CONCURRENCY) {
      const batch = await Promise.all(ids.slice(i, i + INSPECT_CONCURRENCY).map((id) => this.inspect(id)));
      for (const info of batch) {
        // A container removed between list and inspect simply drops out.
        if (info && matchesLabels(info.labels, options.labels)) out.push(info);
      }
    }
    return out;
  }

  async exec(id: string, options: ExecOptions): Promise<ExecResult> {
    const action = `exec in ${id}`;
    const container = this.docker.getContainer(id);
    const exec = await dockerCall(action, () =>
      container.exec({
        Cmd: options.cmd,
        Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
        ...(options.workdir ? { WorkingDir: options.workdir } : {}),
        ...(options.user ? { User: options.user } : {}),
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
      }),
    );
    if (!exec) throw new RuntimeError('failed', `${action}: no exec returned`);
    const stream = await dockerCall(action, () => exec.start({ hijack: true, stdin: false }));
    if (!stream) throw new RuntimeError('failed', `${action}: no stream returned`);
    const collector = new ExecOutputCollector(options.maxOutputBytes ?? DEFAULT_EXEC_OUTPUT);
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => collector.push(chunk));
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', (error: Error) => reject(toRuntimeError(error, action)));
    });
    // The stream can close a moment before the daemon records the exit code.
    for (let attempt = 0; attempt < 50; attempt++) {
      const state = await dockerCall(action, () => exec.inspect());
      if (state && !state.Running && state.ExitCode !== null) {
        return { exitCode: state.ExitCode, output: collector.text(), truncated: collector.truncated };
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new RuntimeError('failed', `${action}: exit code not reported`);
  }

  async stats(id: string): Promise<ContainerStatsSample> {
    const raw = await dockerCall(`stats ${id}`, () => this.docker.getContainer(id).stats({ stream: false }));
    if (!raw) throw new RuntimeError('failed', `stats ${id}: no stats returned`);
    return toStatsSample(raw);
  }

  events(onEvent: (event: ContainerEvent) => void, options: EventsOptions): () => void {
    const filters = { type: ['container'], label: labelFilters(options.labels) };
    return subscribeEvents(
      (signal) => this.docker.getEvents({ filters: JSON.stringify(filters), abortSignal: signal }),
      onEvent,
      options,
    );
  }

  async imagePresent(ref: string): Promise<boolean> {
    const image = await dockerCall(`inspect image ${ref}`, () => this.docker.getImage(ref).inspect(), [404]);
    return image !== null;
  }

  async pullImage(
    ref: string,
    onProgress: (progress: PullProgress) => void,
    auth?: RegistryAuth,
  ): Promise<void> {
    const action = `pull ${ref}`;
    const stream = await dockerCall(action, () => this.docker.pull(ref, auth ? { authconfig: auth } : {}));
    if (!stream) throw new RuntimeError('failed', `${action}: no progress stream`);
    const tracker = new PullProgressTracker();
    await consumeProgress(stream, action, (message) => {
      const snapshot = tracker.update(message);
      if (snapshot) onProgress(snapshot);
    });
    if (tracker.error !== null) {
      throw new RuntimeError(
        notFoundLike(tracker.error) ? 'not_found' : 'failed',
        `${action}: ${tracker.error}`,
      );
    }
  }

  async removeImage(ref: string, options: { force: boolean }): Promise<void> {
    await dockerCall(
      `remove image ${ref}`,
      () => this.docker.getImage(ref).remove({ force: options.force }),
      [404],
    );
  }

  async listImages(): Promise<ImageSummary[]> {
    const images = (await dockerCall('list images', () => this.docker.listImages())) ?? [];
    return images.map((image) => ({
      id: image.Id,
      repoTags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>'),
      sizeBytes: image.Size,
      createdAt: new Date(image.Created * 1000).toISOString(),
    }));
  }

  async info(): Promise<EngineInfo> {
    const raw: unknown = await dockerCall('docker info', () => this.docker.info());
    const info = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    return {
      cores: typeof info.NCPU === 'number' ? info.NCPU : 0,
      memoryBytes: typeof info.MemTotal === 'number' ? info.MemTotal : 0,
      dockerVersion: typeof info.ServerVersion === 'string' ? info.ServerVersion : 'unknown',
      dataRoot: typeof info.DockerRootDir === 'string' ? info.DockerRootDir : '',
    };
  }

  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (error) {
      throw new RuntimeError(
        'unavailable',
        `Docker at ${this.endpoint}: ${dockerMessage(error)}`,
        statusCodeOf(error),
        {
          cause: error,
        },
      );
    }
  }

  // Docker-specific operations (not part of ContainerRuntime): image building and distribution
  // for tooling and tests, so nothing outside runtime/ needs dockerode.

  /** `docker import`: a root filesystem tarball becomes image `ref`; `changes` are Dockerfile lines. */
  async importImage(
    tarball: Buffer | NodeJS.ReadableStream,
    ref: string,
    changes: string[] = [],
  ): Promise<void> {
    const { repo, tag } = splitImageRef(ref);
    const action = `import ${ref}`;
    const input = Buffer.isBuffer(tarball) ? Readable.from([tarball]) : tarball;
    const stream = await dockerCall(action, () => this.docker.importImage(input, { repo, tag, changes }));
    if (!stream) throw new RuntimeError('failed', `${action}: no progress stream`);
    await consumeStreamOrThrow(stream, action);
  }

  async tagImage(source: string, target: string): Promise<void> {
    const { repo, tag } = splitImageRef(target);
    await dockerCall(`tag ${source} as ${target}`, () => this.docker.getImage(source).tag({ repo, tag }));
  }

  async pushImage(ref: string, auth?: RegistryAuth): Promise<void> {
    const action = `push ${ref}`;
    const { tag } = splitImageRef(ref);
    const stream = await dockerCall(action, () =>
      this.docker.getImage(ref).push(auth ? { tag, authconfig: auth } : { tag }),
    );
    if (!stream) throw new RuntimeError('failed', `${action}: no progress stream`);
    await consumeStreamOrThrow(stream, action);
  }
}

function consumeProgress(
  stream: NodeJS.ReadableStream,
  action: string,
  onMessage: (message: Record<string, unknown>) => void,
): Promise<void> {
  const splitter = new JsonLineSplitter();
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      for (const item of splitter.flush()) if (typeof item !== 'string') onMessage(item);
      if (error) reject(toRuntimeError(error, action));
      else resolve();
    };
    stream.on('data', (chunk: Buffer) => {
      for (const item of splitter.push(chunk)) if (typeof item !== 'string') onMessage(item);
    });
    stream.on('end', () => finish());
    stream.on('close', () => finish());
    stream.on('error', (error: Error) => finish(error));
  });
}

async function consumeStreamOrThrow(stream: NodeJS.ReadableStream, action: string): Promise<void> {
  const tracker = new PullProgressTracker();
  await consumeProgress(stream, action, (message) => tracker.update(message));
  if (tracker.error !== null) {
    throw new RuntimeError(
      notFoundLike(tracker.error) ? 'not_found' : 'failed',
      `${action}: ${tracker.error}`,
    );
  }
}
