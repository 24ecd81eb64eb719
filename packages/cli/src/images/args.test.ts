import { describe, expect, it } from 'vitest';
import { parseImagesArgs } from './args.js';

describe('parseImagesArgs', () => {
  it('builds everything by default', () => {
    expect(parseImagesArgs(['build'])).toEqual({
      kind: 'build',
      args: { names: [], force: false, noCache: false, verbose: false },
    });
  });

  it('takes names and flags', () => {
    expect(parseImagesArgs(['build', 'firefox', '--force', '--network', 'host', '--base', 'x:y'])).toEqual({
      kind: 'build',
      args: { names: ['firefox'], force: true, noCache: false, verbose: false, network: 'host', base: 'x:y' },
    });
  });

  it('answers --help', () => {
    expect(parseImagesArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseImagesArgs(['build', '-h'])).toEqual({ kind: 'help' });
  });

  it('rejects unknown flags, images and subcommands with one short line', () => {
    const flag = parseImagesArgs(['build', '--bogus']);
    expect(flag).toEqual({ kind: 'error', message: "unknown option '--bogus'" });
    expect(parseImagesArgs(['build', 'chrome'])).toMatchObject({
      kind: 'error',
      message: /unknown image chrome/,
    });
    expect(parseImagesArgs(['push'])).toMatchObject({ kind: 'error', message: /unknown subcommand 'push'/ });
    expect(parseImagesArgs([])).toMatchObject({ kind: 'error', message: /missing subcommand/ });
  });
});
