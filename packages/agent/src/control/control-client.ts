import http from 'node:http';
import https from 'node:https';
import {
  type AgentCheckinRequest,
  type AgentCheckinResponse,
  type AgentRegisterRequest,
  type AgentRegisterResponse,
  agentCheckinResponseSchema,
  agentRegisterResponseSchema,
} from '@porthole/contracts';

/** The server refused a call (`status` its HTTP status) or could not be reached (`status` 0). */
export class ControlPlaneError extends Error {
  override readonly name = 'ControlPlaneError';
  constructor(
    message: string,
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ControlPlaneClientOptions {
  serverUrl: string;
  /** PEM to trust for the server (a self-signed certificate); the system CAs otherwise. */
  ca?: string;
  timeoutMs?: number;
}

export interface AgentCredentials {
  agentId: string;
  secret: string;
}

interface SchemaLike<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { message: string } };
}

const DEFAULT_TIMEOUT_MS = 15_000;
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * Talks to the control plane over one keep-alive connection pool: a check-in every few seconds
 * should not pay a TCP and TLS handshake each time.
 */
export class ControlPlaneClient {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;

  constructor(options: ControlPlaneClientOptions) {
    this.base = new URL(options.serverUrl.endsWith('/') ? options.serverUrl : `${options.serverUrl}/`);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') {
      throw new Error(`server URL must be http:// or https://, got ${options.serverUrl}`);
    }
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const pool = { keepAlive: true, maxSockets: 4, keepAliveMsecs: 10_000 };
    this.agent =
      this.base.protocol === 'https:'
        ? new https.Agent({ ...pool, ...(options.ca ? { ca: options.ca } : {}) })
        : new http.Agent(pool);
  }

  get serverUrl(): string {
    return this.base.toString();
  }

  register(body: AgentRegisterRequest): Promise<AgentRegisterResponse> {
    return this.post('api/agent/register', body, {}, agentRegisterResponseSchema);
  }

  checkin(credentials: AgentCredentials, body: AgentCheckinRequest): Promise<AgentCheckinResponse> {
    const authorization = `Agent ${credentials.agentId}:${credentials.secret}`;
    return this.post('api/agent/checkin', body, { authorization }, agentCheckinResponseSchema);
  }

  close(): void {
    this.agent.destroy();
  }

  private async post<T>(
    path: string,
    body: unknown,
    headers: Record<string, string>,
    schema: SchemaLike<T>,
  ): Promise<T> {
    const url = new URL(path, this.base);
    const { status, text } = await this.sendWithRetry(url, JSON.stringify(body), headers);
    if (status < 200 || status >= 300) {
      throw new ControlPlaneError(`${url.pathname}: HTTP ${status}: ${errorText(text)}`, status);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new ControlPlaneError(`${url.pathname}: the server answered with invalid JSON`, status, {
        cause: error,
      });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new ControlPlaneError(`${url.pathname}: unexpected answer: ${parsed.error.message}`, status);
    }
    return parsed.data;
  }

  /**
   * A kept-alive socket the server closed while idle fails the first write with ECONNRESET; that
   * is not an outage, so it is retried once on a fresh socket instead of starting a backoff.
   */
  private async sendWithRetry(
    url: URL,
    payload: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; text: string }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.send(url, payload, headers);
      } catch (error) {
        if (!(error instanceof StaleSocketError)) throw error;
        // The pool may hold several idle sockets the server closed; a fresh one settles it.
        if (attempt >= 2) throw error.original;
      }
    }
  }

  private send(
    url: URL,
    payload: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; text: string }> {
    const request = url.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            ...headers,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            accept: 'application/json',
          },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BYTES) {
              req.destroy(new Error(`response larger than ${MAX_RESPONSE_BYTES} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', (error) => reject(unreachable(url, error)));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (error) => {
        const code = (error as NodeJS.ErrnoException).code;
        if (req.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE')) {
          reject(new StaleSocketError(unreachable(url, error)));
        } else reject(unreachable(url, error));
      });
      req.end(payload);
    });
  }
}

class StaleSocketError extends Error {
  constructor(readonly original: ControlPlaneError) {
    super(original.message);
  }
}

function unreachable(url: URL, error: Error): ControlPlaneError {
  const code = (error as NodeJS.ErrnoException).code;
  const detail = code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  return new ControlPlaneError(`cannot reach ${url.origin}: ${detail}`, 0, { cause: error });
}

/** The server's `{error:{message}}` when it sent one, else the start of the body. */
function errorText(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === 'string') return parsed.error.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 300) || 'no details';
}
