import type { ContainerEvent, ContainerEventAction, EventsOptions } from './container-runtime.js';
import { JsonLineSplitter } from './json-lines.js';
import { matchesLabels } from './labels.js';

/** Opens one raw events stream (already filtered by the daemon). */
export type EventStreamConnector = (signal: AbortSignal) => Promise<NodeJS.ReadableStream>;

const ACTIONS: ReadonlySet<string> = new Set<ContainerEventAction>([
  'create',
  'start',
  'die',
  'stop',
  'kill',
  'pause',
  'unpause',
  'destroy',
  'oom',
  'restart',
]);

/** Attributes Docker mixes into Actor.Attributes next to the container's labels. */
const NON_LABEL_ATTRIBUTES = new Set(['image', 'name', 'exitCode', 'signal', 'execDuration']);

export function parseDockerEvent(raw: Record<string, unknown>): ContainerEvent | null {
  if (raw.Type !== 'container') return null;
  const rawAction = typeof raw.Action === 'string' ? raw.Action : '';
  // health_status carries its value after a colon ("health_status: healthy").
  const action = rawAction.startsWith('health_status') ? 'health_status' : rawAction;
  if (action !== 'health_status' && !ACTIONS.has(action)) return null;
  const actor =
    typeof raw.Actor === 'object' && raw.Actor !== null ? (raw.Actor as Record<string, unknown>) : {};
  const id = typeof actor.ID === 'string' ? actor.ID : typeof raw.id === 'string' ? raw.id : '';
  if (id === '') return null;
  const attributes =
    typeof actor.Attributes === 'object' && actor.Attributes !== null
      ? (actor.Attributes as Record<string, unknown>)
      : {};
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (!NON_LABEL_ATTRIBUTES.has(key) && typeof value === 'string') labels[key] = value;
  }
  const exitCodeText = attributes.exitCode;
  const exitCode = typeof exitCodeText === 'string' && exitCodeText !== '' ? Number(exitCodeText) : null;
  const time =
    typeof raw.timeNano === 'number'
      ? Math.floor(raw.timeNano / 1e6)
      : typeof raw.time === 'number'
        ? raw.time * 1000
        : Date.now();
  return { containerId: id, action: action as ContainerEventAction, labels, exitCode, time };
}

/**
 * Keeps an events subscription alive across daemon restarts: on any stream end or connect failure
 * it waits (exponential backoff, reset after a good connection) and reconnects, then calls
 * onReconnect so the caller can reconcile whatever happened while it was blind.
 */
export function subscribeEvents(
  connect: EventStreamConnector,
  onEvent: (event: ContainerEvent) => void,
  options: EventsOptions,
): () => void {
  const initialMs = options.backoff?.initialMs ?? 250;
  const maxMs = options.backoff?.maxMs ?? 10_000;
  let stopped = false;
  let controller = new AbortController();
  let current: NodeJS.ReadableStream | null = null;
  let timer: NodeJS.Timeout | null = null;
  let wake: (() => void) | null = null;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });

  const consume = (stream: NodeJS.ReadableStream) =>
    new Promise<Error>((resolve) => {
      const splitter = new JsonLineSplitter();
      let settled = false;
      const finish = (error: Error) => {
        if (settled) return;
        settled = true;
        resolve(error);
      };
      stream.on('data', (chunk: Buffer | string) => {
        for (const item of splitter.push(chunk)) {
          if (typeof item === 'string') continue;
          const event = parseDockerEvent(item);
          if (event && matchesLabels(event.labels, options.labels)) onEvent(event);
        }
      });
      stream.on('error', (error: Error) => finish(error));
      stream.on('end', () => finish(new Error('Docker event stream ended')));
      stream.on('close', () => finish(new Error('Docker event stream closed')));
    });

  const run = async () => {
    let delay = initialMs;
    let failedSinceConnect = false;
    while (!stopped) {
      controller = new AbortController();
      let error: Error;
      try {
        const stream = await connect(controller.signal);
        if (stopped) {
          destroy(stream);
          return;
        }
        current = stream;
        if (failedSinceConnect) options.onReconnect?.();
        failedSinceConnect = false;
        delay = initialMs;
        error = await consume(stream);
        current = null;
      } catch (caught) {
        error = caught instanceof Error ? caught : new Error(String(caught));
      }
      if (stopped) return;
      if (!failedSinceConnect) options.onDisconnect?.(error);
      failedSinceConnect = true;
      await sleep(delay);
      delay = Math.min(delay * 2, maxMs);
    }
  };
  void run();

  return () => {
    stopped = true;
    controller.abort();
    if (timer) clearTimeout(timer);
    wake?.();
    if (current) destroy(current);
  };
}

function destroy(stream: NodeJS.ReadableStream): void {
  const destroyable = stream as NodeJS.ReadableStream & { destroy?: () => void };
  destroyable.destroy?.();
}
