import { describe, expect, it } from 'vitest';
import { fromKasmId, kasmDate, kasmIdSchema, kasmStatus, toKasmId } from './kasm-format.js';

describe('Kasm wire conventions', () => {
  const uuid = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

  it('writes ids as 32 lowercase hex and reads both forms back', () => {
    expect(toKasmId(uuid)).toBe('0f1e2d3c4b5a69788796a5b4c3d2e1f0');
    expect(fromKasmId('0F1E2D3C4B5A69788796A5B4C3D2E1F0')).toBe(uuid);
    expect(fromKasmId(uuid.toUpperCase())).toBe(uuid);
    expect(kasmIdSchema.parse(' 0f1e2d3c4b5a69788796a5b4c3d2e1f0 ')).toBe(uuid);
    expect(kasmIdSchema.parse(uuid)).toBe(uuid);
    for (const bad of [
      '',
      'xyz',
      '0f1e2d3c4b5a69788796a5b4c3d2e1f',
      `${uuid}0`,
      '0f1e2d3c-4b5a69788796a5b4c3d2e1f0',
    ]) {
      expect(kasmIdSchema.safeParse(bad).success, bad).toBe(false);
    }
    expect(kasmIdSchema.safeParse(7).success).toBe(false);
  });

  it('writes dates as YYYY-MM-DD HH:MM:SS.ffffff in UTC', () => {
    expect(kasmDate(new Date('2026-03-04T05:06:07.089Z'))).toBe('2026-03-04 05:06:07.089000');
    expect(kasmDate('2026-03-04T07:06:07.089+02:00')).toBe('2026-03-04 05:06:07.089000');
  });

  it('maps every state with progress that only moves during start-up', () => {
    expect(kasmStatus('requested')).toMatchObject({ status: 'requested', progress: 10 });
    expect(kasmStatus('provisioning').progress).toBeLessThan(kasmStatus('starting').progress);
    expect(kasmStatus('running')).toMatchObject({ status: 'running', progress: 100 });
    expect(kasmStatus('paused').status).toBe('paused');
    expect(kasmStatus('deleted').status).toBe('deleted');
  });
});
