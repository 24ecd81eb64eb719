import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { resolveOptions } from './config/options.js';
import { serverOptions } from './config/server-options.js';
import { createLogger, resolveLogFormat } from './logger.js';

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { chunks });
}

describe('--log-format', () => {
  it('defaults to pretty on a terminal and JSON otherwise; an explicit value wins', () => {
    expect(resolveLogFormat(undefined, true)).toBe('pretty');
    expect(resolveLogFormat(undefined, false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });

  it('is a flag and PORTHOLE_LOG_FORMAT, and refuses other values', () => {
    expect(resolveOptions(serverOptions, ['--log-format', 'json'], {}).values['log-format']).toBe('json');
    expect(resolveOptions(serverOptions, [], { PORTHOLE_LOG_FORMAT: 'pretty' }).values['log-format']).toBe(
      'pretty',
    );
    expect(() => resolveOptions(serverOptions, [], { PORTHOLE_LOG_FORMAT: 'xml' })).toThrow(
      /invalid PORTHOLE_LOG_FORMAT: must be pretty or json, got 'xml'/,
    );
  });

  it('json writes one JSON object a line; pretty writes one readable line, fields included', () => {
    const json = sink();
    createLogger('info', 'json', { destination: json }).info({ image: 'desktop' }, 'step 3/12');
    expect(JSON.parse(json.chunks.join(''))).toMatchObject({ msg: 'step 3/12', image: 'desktop', level: 30 });

    const pretty = sink();
    createLogger('info', 'pretty', { destination: pretty }).info(
      { component: 'images' },
      '[desktop] step 3/12 RUN apt-get install',
    );
    const text = pretty.chunks.join('');
    expect(text.trimEnd().split('\n')).toHaveLength(1);
    expect(text).toMatch(/INFO.*\[desktop\] step 3\/12 RUN apt-get install.*images/);
    expect(text).not.toMatch(/^\{/);
  });
});
