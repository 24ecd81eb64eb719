const pad = (n: number) => String(n).padStart(2, '0');

/** A span of seconds in the largest two units that matter: `45s`, `12m 05s`, `2h 05m`, `3d 4h`. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad(m % 60)}m`;
  const d = Math.floor(h / 24);
  return `${d}d ${h % 24}h`;
}

/** How long ago an instant was, coarse: `just now`, `4m ago`, `2h 05m ago`. */
export function formatAge(iso: string | null, now: number): string {
  if (!iso) return '—';
  const seconds = (now - Date.parse(iso)) / 1000;
  if (!Number.isFinite(seconds)) return '—';
  if (seconds < 10) return 'just now';
  if (seconds < 60) return `${Math.floor(seconds)}s ago`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m ago`;
  return `${formatDuration(seconds).replace(/ \d+s$/, '')} ago`;
}

export type CountdownTone = 'none' | 'ok' | 'warn' | 'danger' | 'expired';

export interface Countdown {
  text: string;
  tone: CountdownTone;
  /** Seconds left (0 when expired); null when the session does not expire. */
  seconds: number | null;
}

/**
 * Time left until `expiresAt`: `mm:ss` under an hour (so the last minutes visibly tick),
 * `1h 02m` under a day, `2d 3h` beyond. Warn under 10 minutes, danger under 2.
 */
export function formatCountdown(expiresAt: string | null, now: number): Countdown {
  if (!expiresAt) return { text: 'No expiry', tone: 'none', seconds: null };
  const ms = Date.parse(expiresAt) - now;
  if (!Number.isFinite(ms)) return { text: 'No expiry', tone: 'none', seconds: null };
  const seconds = Math.floor(ms / 1000);
  if (seconds <= 0) return { text: 'Expired', tone: 'expired', seconds: 0 };
  const tone: CountdownTone = seconds < 120 ? 'danger' : seconds < 600 ? 'warn' : 'ok';
  if (seconds < 3600) return { text: `${pad(Math.floor(seconds / 60))}:${pad(seconds % 60)}`, tone, seconds };
  const h = Math.floor(seconds / 3600);
  if (h < 24) return { text: `${h}h ${pad(Math.floor((seconds % 3600) / 60))}m`, tone, seconds };
  return { text: `${Math.floor(h / 24)}d ${h % 24}h`, tone, seconds };
}

/** Memory in MiB as people read it: `512 MiB`, `2 GiB`, `1.5 GiB`. */
export function formatMemoryMb(mb: number): string {
  if (Math.abs(mb) < 1024) return `${Math.round(mb)} MiB`;
  const gib = mb / 1024;
  return `${Number.isInteger(gib) ? gib : gib.toFixed(1)} GiB`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function formatCores(cores: number): string {
  const v = Number.isInteger(cores) ? String(cores) : cores.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
  return `${v} ${cores === 1 ? 'core' : 'cores'}`;
}

export function formatDateTime(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleString();
}
