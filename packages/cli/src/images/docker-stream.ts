// The Engine API answers builds, pulls and imports with a stream of JSON objects, one per line.

export interface StreamMessage {
  stream?: string;
  status?: string;
  progress?: string;
  error?: string;
  /** Set by builds when the image is complete: `{ ID: 'sha256:…' }`. */
  auxId?: string;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function parseMessage(line: string): StreamMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  const obj = asRecord(parsed);
  if (!obj) return undefined;
  const message: StreamMessage = {};
  const stream = str(obj.stream);
  if (stream !== undefined) message.stream = stream;
  const status = str(obj.status);
  if (status !== undefined) message.status = status;
  const progress = str(obj.progress);
  if (progress !== undefined) message.progress = progress;
  const error = str(obj.error) ?? str(asRecord(obj.errorDetail)?.message);
  if (error !== undefined) message.error = error;
  const auxId = str(asRecord(obj.aux)?.ID);
  if (auxId !== undefined) message.auxId = auxId;
  return message;
}

/**
 * Feeds every message of an Engine API progress stream to `onMessage` and resolves when the
 * stream ends; rejects on the first `error` message (the daemon reports failures in-band).
 */
export function followStream(
  stream: NodeJS.ReadableStream,
  onMessage: (message: StreamMessage) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let failed = false;
    const handle = (line: string): void => {
      if (failed || line.trim() === '') return;
      const message = parseMessage(line);
      if (!message) return;
      if (message.error !== undefined) {
        failed = true;
        reject(new Error(message.error.trim()));
        return;
      }
      onMessage(message);
    };
    stream.on('data', (chunk: Buffer | string) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) handle(line);
    });
    stream.on('end', () => {
      handle(buffered);
      if (!failed) resolve();
    });
    stream.on('error', (err: Error) => {
      if (!failed) reject(err);
      failed = true;
    });
  });
}
