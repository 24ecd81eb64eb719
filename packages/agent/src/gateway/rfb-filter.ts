/**
 * Client→server RFB filter for the session gateway. It frames the byte stream a browser sends to
 * the workspace so it can enforce roles at message granularity: viewers cannot type, point, paste,
 * resize or power-cycle; only the owner may use xvp; the ClientInit shared flag is forced to 1 so a
 * joining viewer never disconnects the owner. Anything it cannot frame closes the connection,
 * because forwarding a message of unknown length would desynchronise every decision after it.
 *
 * Incremental by design (WebSocket frames and RFB messages are independent): the only state kept
 * between chunks is the header of the message in flight (at most 12 bytes) and how many body
 * bytes remain; bodies are forwarded or skipped as they arrive, never buffered.
 */

export type RfbRole = 'owner' | 'collaborator' | 'viewer';

export interface RfbFilterOptions {
  role: RfbRole;
  /** False drops every ClientCutText (browser → workspace clipboard), whatever the role. */
  allowClipboardUp: boolean;
  /** ClientCutText larger than this closes the connection; default 10 MiB. */
  maxClipboardBytes?: number;
}

export interface RfbFilterResult {
  /** Bytes to send to the server, in order. Slices may share memory with the pushed chunk. */
  forward: Buffer[];
  /** Set when the connection must be closed (after sending `forward`); the reason is for logs. */
  close?: string;
}

export interface RfbFilterStats {
  forwardedBytes: number;
  /** Messages (after the handshake) seen, forwarded or not. */
  messages: number;
  droppedMessages: number;
  /** The subset of dropped messages that were keyboard/pointer input. */
  droppedInputMessages: number;
}

export interface RfbClientFilter {
  push(chunk: Buffer): RfbFilterResult;
  readonly stats: Readonly<RfbFilterStats>;
  /** The close reason once the filter has given up, else null. */
  readonly closed: string | null;
}

export const DEFAULT_MAX_CLIPBOARD_BYTES = 10 * 1024 * 1024;

/** What a message does, which is what the role policy decides on. */
type MessageKind = 'control' | 'input' | 'clipboard' | 'resize' | 'power';

type Measure = { need: number } | { length: number; kind: MessageKind } | { error: string };

/**
 * Given the first `have` header bytes of a client message, either the number of header bytes
 * needed to know its length, its total length and kind, or why it cannot be framed.
 */
function measure(h: Buffer, have: number, maxClipboard: number): Measure {
  const type = h[0];
  switch (type) {
    case 0: // SetPixelFormat
      return { length: 20, kind: 'control' };
    case 2: // SetEncodings: u16 count at 2, then s32 each
      return have < 4 ? { need: 4 } : { length: 4 + 4 * h.readUInt16BE(2), kind: 'control' };
    case 3: // FramebufferUpdateRequest
      return { length: 10, kind: 'control' };
    case 4: // KeyEvent
      return { length: 8, kind: 'input' };
    case 5: // PointerEvent
      return { length: 6, kind: 'input' };
    case 6: {
      // ClientCutText: s32 length at 4; negative means the extended-clipboard form, |length| bytes.
      if (have < 8) return { need: 8 };
      const size = Math.abs(h.readInt32BE(4));
      if (size > maxClipboard)
        return { error: `ClientCutText of ${size} bytes exceeds the ${maxClipboard}-byte limit` };
      return { length: 8 + size, kind: 'clipboard' };
    }
    case 150: // EnableContinuousUpdates
      return { length: 10, kind: 'control' };
    case 248: // ClientFence: u8 payload length at 8
      return have < 9 ? { need: 9 } : { length: 9 + (h[8] ?? 0), kind: 'control' };
    case 250: // xvp (shutdown/reboot/reset)
      return { length: 4, kind: 'power' };
    case 251: // SetDesktopSize: u8 screen count at 6, 16 bytes per screen
      return have < 8 ? { need: 8 } : { length: 8 + 16 * (h[6] ?? 0), kind: 'resize' };
    case 253: {
      // gii: u16 length at 2, in the byte order flagged by bit 7 of the subtype (set = big endian).
      if (have < 4) return { need: 4 };
      const bigEndian = ((h[1] ?? 0) & 0x80) !== 0;
      return { length: 4 + (bigEndian ? h.readUInt16BE(2) : h.readUInt16LE(2)), kind: 'input' };
    }
    case 255: {
      if (have < 2) return { need: 2 };
      const subtype = h[1];
      if (subtype === 0) return { length: 12, kind: 'input' }; // QEMU extended key event
      if (subtype === 1) {
        // QEMU audio: u16 operation; 0 enable / 1 disable are 4 bytes, 2 set-format is 10.
        if (have < 4) return { need: 4 };
        const operation = h.readUInt16BE(2);
        if (operation === 0 || operation === 1) return { length: 4, kind: 'control' };
        if (operation === 2) return { length: 10, kind: 'control' };
        return { error: `unknown QEMU audio operation ${operation}` };
      }
      return { error: `unknown QEMU message subtype ${subtype}` };
    }
    default:
      return { error: `unknown client message type ${type}` };
  }
}

function allowed(kind: MessageKind, options: RfbFilterOptions): boolean {
  switch (kind) {
    case 'control':
      return true;
    case 'input':
    case 'resize':
      return options.role !== 'viewer';
    case 'clipboard':
      return options.role !== 'viewer' && options.allowClipboardUp;
    case 'power':
      // Rebooting the workspace ends everyone's session: the owner's call alone.
      return options.role === 'owner';
  }
}

/** Collects output, merging adjacent ranges of the current chunk into one zero-copy slice. */
class Output {
  readonly parts: Buffer[] = [];
  private start = -1;
  private end = -1;

  constructor(private readonly chunk: Buffer) {}

  range(from: number, to: number): void {
    if (to <= from) return;
    if (this.start >= 0 && this.end === from) {
      this.end = to;
      return;
    }
    this.flush();
    this.start = from;
    this.end = to;
  }

  copy(bytes: Buffer): void {
    this.flush();
    this.parts.push(Buffer.from(bytes));
  }

  flush(): Buffer[] {
    if (this.start >= 0) this.parts.push(this.chunk.subarray(this.start, this.end));
    this.start = -1;
    return this.parts;
  }
}

type Phase = 'version' | 'security' | 'clientInit' | 'header' | 'body' | 'closed';

const VERSION_LENGTH = 12;
/** 3.3 clients skip the security-type choice, which this filter cannot see the server make. */
const SUPPORTED_VERSION = /^RFB 003\.00[78]\n$/;
const SECURITY_NONE = 1;
const SECURITY_VNC_AUTH = 2;
const VNC_AUTH_RESPONSE_LENGTH = 16;
const SHARED = Buffer.from([1]);

export function createRfbClientFilter(options: RfbFilterOptions): RfbClientFilter {
  const maxClipboard = options.maxClipboardBytes ?? DEFAULT_MAX_CLIPBOARD_BYTES;
  const stats: RfbFilterStats = {
    forwardedBytes: 0,
    messages: 0,
    droppedMessages: 0,
    droppedInputMessages: 0,
  };
  const header = Buffer.alloc(VERSION_LENGTH);
  let headerLength = 0;
  let phase: Phase = 'version';
  let bodyRemaining = 0;
  let bodyForward = false;
  let afterBody: Phase = 'header';
  let closeReason: string | null = null;

  const push = (chunk: Buffer): RfbFilterResult => {
    if (closeReason !== null) return { forward: [], close: closeReason };
    const out = new Output(chunk);
    // Where the current message's header started in this chunk; -1 when it began in an earlier one.
    let headerStart = headerLength === 0 ? 0 : -1;
    let i = 0;
    const fail = (reason: string): RfbFilterResult => {
      closeReason = reason;
      phase = 'closed';
      return { forward: out.flush(), close: reason };
    };

    while (i < chunk.length) {
      if (phase === 'version') {
        const take = Math.min(VERSION_LENGTH - headerLength, chunk.length - i);
        chunk.copy(header, headerLength, i, i + take);
        headerLength += take;
        i += take;
        if (headerLength < VERSION_LENGTH) break;
        const version = header.toString('latin1', 0, VERSION_LENGTH);
        if (!SUPPORTED_VERSION.test(version))
          return fail(`unsupported RFB version ${JSON.stringify(version)}`);
        out.copy(header.subarray(0, VERSION_LENGTH));
        stats.forwardedBytes += VERSION_LENGTH;
        headerLength = 0;
        phase = 'security';
      } else if (phase === 'security') {
        const type = chunk[i] ?? 0;
        if (type === SECURITY_NONE) phase = 'clientInit';
        else if (type === SECURITY_VNC_AUTH) {
          phase = 'body';
          bodyRemaining = VNC_AUTH_RESPONSE_LENGTH;
          bodyForward = true;
          afterBody = 'clientInit';
        } else return fail(`unsupported security type ${type}`);
        out.range(i, i + 1);
        stats.forwardedBytes += 1;
        i += 1;
      } else if (phase === 'clientInit') {
        // Shared: a second viewer must join the desktop, not disconnect whoever is on it.
        out.copy(SHARED);
        stats.forwardedBytes += 1;
        i += 1;
        phase = 'header';
        headerStart = i;
      } else if (phase === 'header') {
        if (headerLength === 0) headerStart = i;
        header[headerLength] = chunk[i] ?? 0;
        headerLength += 1;
        i += 1;
        const m = measure(header, headerLength, maxClipboard);
        if ('error' in m) return fail(m.error);
        if ('need' in m) continue;
        stats.messages += 1;
        const pass = allowed(m.kind, options);
        if (pass) {
          if (headerStart >= 0) out.range(headerStart, i);
          else out.copy(header.subarray(0, headerLength));
          stats.forwardedBytes += headerLength;
        } else {
          stats.droppedMessages += 1;
          if (m.kind === 'input') stats.droppedInputMessages += 1;
        }
        bodyRemaining = m.length - headerLength;
        bodyForward = pass;
        afterBody = 'header';
        headerLength = 0;
        if (bodyRemaining > 0) phase = 'body';
      } else if (phase === 'body') {
        const take = Math.min(bodyRemaining, chunk.length - i);
        if (bodyForward) {
          out.range(i, i + take);
          stats.forwardedBytes += take;
        }
        i += take;
        bodyRemaining -= take;
        if (bodyRemaining === 0) phase = afterBody;
      } else {
        break;
      }
    }
    return { forward: out.flush() };
  };

  return {
    push,
    stats,
    get closed() {
      return closeReason;
    },
  };
}
