/** When bytes last flowed per session, for the manager's idle handling (reported at check-in). */
export class ActivityTracker {
  private readonly last = new Map<string, { at: number; bytesIn: number; bytesOut: number }>();

  note(sessionId: string, bytesIn: number, bytesOut: number, now = Date.now()): void {
    const e = this.last.get(sessionId);
    if (e) {
      e.at = now;
      e.bytesIn += bytesIn;
      e.bytesOut += bytesOut;
    } else this.last.set(sessionId, { at: now, bytesIn, bytesOut });
  }

  lastActivity(sessionId: string): Date | null {
    const e = this.last.get(sessionId);
    return e ? new Date(e.at) : null;
  }

  counters(sessionId: string): { bytesIn: number; bytesOut: number } {
    const e = this.last.get(sessionId);
    return { bytesIn: e?.bytesIn ?? 0, bytesOut: e?.bytesOut ?? 0 };
  }

  forget(sessionId: string): void {
    this.last.delete(sessionId);
  }
}
