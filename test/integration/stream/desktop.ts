import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';

/** Asks the X server in the container (Xlib through python3's ctypes) where the pointer is and which keys are down. */
const PROBE = `
import ctypes, json
x = ctypes.cdll.LoadLibrary("libX11.so.6")
x.XOpenDisplay.restype = ctypes.c_void_p
x.XDefaultRootWindow.restype = ctypes.c_ulong
d = ctypes.c_void_p(x.XOpenDisplay(b":1"))
root = ctypes.c_ulong(x.XDefaultRootWindow(d))
rr, cw = ctypes.c_ulong(), ctypes.c_ulong()
rx, ry, wx, wy = ctypes.c_int(), ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
mask = ctypes.c_uint()
keys = (ctypes.c_char * 32)()
for _ in iter(input, "quit"):
    x.XQueryPointer(d, root, ctypes.byref(rr), ctypes.byref(cw), ctypes.byref(rx), ctypes.byref(ry),
                    ctypes.byref(wx), ctypes.byref(wy), ctypes.byref(mask))
    x.XQueryKeymap(d, keys)
    down = [i * 8 + b for i, byte in enumerate(bytes(keys)) for b in range(8) if byte >> b & 1]
    print(json.dumps({"x": rx.value, "y": ry.value, "keysDown": down}), flush=True)
`;

export interface DesktopState {
  /** Pointer position on the root window. */
  x: number;
  y: number;
  /** X keycodes currently held down. */
  keysDown: number[];
}

/**
 * What the session's X server says: the ground truth of whether input reached it. One `docker
 * exec` per probe (a python loop answering a line per query), since each exec costs a second.
 */
export class DesktopProbe {
  private readonly lines: Interface;
  private readonly pending: Array<(line: string) => void> = [];

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout });
    this.lines.on('line', (line) => this.pending.shift()?.(line));
  }

  static open(containerId: string): DesktopProbe {
    return new DesktopProbe(
      spawn('docker', ['exec', '-i', '-u', '1000', '-e', 'DISPLAY=:1', containerId, 'python3', '-c', PROBE]),
    );
  }

  state(): Promise<DesktopState> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the desktop probe did not answer')), 20_000);
      this.pending.push((line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as DesktopState);
      });
      this.child.stdin.write('\n');
    });
  }

  close(): void {
    this.child.stdin.end('quit\n');
    this.lines.close();
    setTimeout(() => this.child.kill(), 2000).unref();
  }
}
