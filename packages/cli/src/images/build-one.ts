import type Dockerode from 'dockerode';
import { followStream } from './docker-stream.js';

export interface BuildOneOptions {
  docker: Dockerode;
  /** Prefix for every log line, e.g. `desktop`. */
  name: string;
  contextDir: string;
  files: string[];
  tags: string[];
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  noCache: boolean;
  networkMode?: string;
  /** Every build output line, not just steps and heartbeats. */
  verbose: boolean;
  log: (line: string) => void;
  /** Each Dockerfile step as it starts (1-based), for progress displays. */
  onStep?: (step: number, steps: number, text: string) => void;
  heartbeatMs?: number;
}

const stepPattern = /^Step (\d+)\/(\d+) : (.*)$/;

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)}s`;
}

function shorten(text: string, max = 90): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * Builds one image with the classic builder through the Engine API and returns its id. Progress is
 * one line per Dockerfile step plus a heartbeat during long steps, so it reads well without a TTY
 * (e.g. inside `porthole up`'s log). A failure carries the build's last output lines.
 */
export async function buildOne(options: BuildOneOptions): Promise<string> {
  const { docker, log, name } = options;
  const started = Date.now();
  const [firstTag, ...otherTags] = options.tags;
  if (!firstTag) throw new Error(`${name}: no tag to build`);

  let step = '';
  let stepStarted = started;
  let lastLine = '';
  const tail: string[] = [];
  let imageIdFromAux: string | undefined;
  let imageIdFromText: string | undefined;

  const heartbeat = setInterval(() => {
    const detail = lastLine ? `: ${shorten(lastLine, 70)}` : '';
    log(
      `[${name}] … step ${step || '?'} running for ${seconds(stepStarted)} (total ${seconds(started)})${detail}`,
    );
  }, options.heartbeatMs ?? 15_000);

  try {
    const stream = await docker.buildImage(
      { context: options.contextDir, src: options.files },
      {
        t: firstTag,
        buildargs: options.buildArgs,
        labels: options.labels,
        nocache: options.noCache,
        rm: true,
        forcerm: true,
        version: '1',
        ...(options.networkMode ? { networkmode: options.networkMode } : {}),
      },
    );
    await followStream(stream, (message) => {
      if (message.auxId) imageIdFromAux = message.auxId;
      if (message.stream === undefined) return;
      for (const raw of message.stream.split('\n')) {
        const line = raw.trimEnd();
        if (!line) continue;
        tail.push(line);
        if (tail.length > 30) tail.shift();
        const built = /^Successfully built ([0-9a-f]+)$/.exec(line);
        if (built?.[1]) imageIdFromText = built[1];
        const match = stepPattern.exec(line);
        if (match) {
          step = `${match[1]}/${match[2]}`;
          stepStarted = Date.now();
          lastLine = '';
          log(`[${name}] step ${step} ${shorten(match[3] ?? '')} (${seconds(started)})`);
          options.onStep?.(Number(match[1]), Number(match[2]), shorten(match[3] ?? ''));
        } else {
          if (!line.startsWith(' ---> ')) lastLine = line;
          if (options.verbose) log(`[${name}]   ${line}`);
        }
      }
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const output = tail.length > 0 ? `\n--- last build output ---\n${tail.join('\n')}` : '';
    throw new Error(
      `${name}: build failed at step ${step || '?'} after ${seconds(started)}: ${reason}${output}`,
    );
  } finally {
    clearInterval(heartbeat);
  }

  const id = imageIdFromAux ?? imageIdFromText;
  if (!id) throw new Error(`${name}: the build finished without reporting an image id`);
  for (const tag of otherTags) await tagImage(docker, id, tag);
  return (await docker.getImage(id).inspect()).Id;
}

export async function tagImage(docker: Dockerode, id: string, ref: string): Promise<void> {
  const colon = ref.lastIndexOf(':');
  const repo = colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
  const tag = colon > ref.lastIndexOf('/') ? ref.slice(colon + 1) : 'latest';
  await docker.getImage(id).tag({ repo, tag });
}
