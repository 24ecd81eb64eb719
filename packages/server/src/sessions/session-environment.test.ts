import { isReservedSessionEnv } from '@porthole/contracts';
import { describe, expect, it } from 'vitest';
import { InvalidError } from '../errors.js';
import { checkSessionEnvironment } from './session-environment.js';

describe('session environment rules', () => {
  it('keeps the names the platform and the image contract set', () => {
    for (const name of [
      'VNC_PW',
      'KASM_ID',
      'KASM_USER',
      'KASM_URL',
      'VNC_RESOLUTION',
      'HOME',
      'DISPLAY',
      'USER',
    ])
      expect(isReservedSessionEnv(name), name).toBe(true);
    for (const name of ['PORTHOLE_SESSION_ID', 'PORTHOLE_ANYTHING', 'LD_PRELOAD', 'LD_LIBRARY_PATH'])
      expect(isReservedSessionEnv(name), name).toBe(true);
  });

  it('leaves everything else to the caller, case-sensitively as the environment is', () => {
    for (const name of [
      'FOO',
      'home',
      'KASM_RESTRICTED_FILE_CHOOSER',
      'LANG',
      'TZ',
      'XPORTHOLE_',
      'OLD_PATH',
    ])
      expect(isReservedSessionEnv(name), name).toBe(false);
  });

  it('names every reserved variable of a request in the 400', () => {
    expect(() => checkSessionEnvironment(undefined)).not.toThrow();
    expect(() => checkSessionEnvironment({ FOO: 'x' })).not.toThrow();
    let error: unknown;
    try {
      checkSessionEnvironment({ FOO: 'x', VNC_PW: 'y', LD_PRELOAD: 'z' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidError);
    expect((error as InvalidError).message).toBe(
      'environment.VNC_PW: is set by the platform and cannot be overridden',
    );
    expect((error as InvalidError).details).toEqual({
      issues: [
        { field: 'environment.VNC_PW', message: 'is set by the platform and cannot be overridden' },
        { field: 'environment.LD_PRELOAD', message: 'is set by the platform and cannot be overridden' },
      ],
    });
  });
});
