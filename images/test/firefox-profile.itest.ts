// The firefox image carries a profile made at build time (porthole-firefox-profile), so the first
// window does not wait for Firefox to create one; a fresh, empty $HOME gets the image's copy.
import { afterAll, describe, expect, it } from 'vitest';
import {
  docker,
  exec,
  hostPort,
  imageRef,
  logs,
  randomPassword,
  removeContainer,
  waitForBanner,
  waitForExit,
} from './support/workspace.js';

const ref = imageRef('firefox');
const profile = '/home/kasm-user/.mozilla/porthole';

describe('firefox profile', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const step of cleanup) await step();
  });

  it('is in the image, ready: prefs, user.js, start-up cache, no lock left from the build', async () => {
    const container = await docker.createContainer({
      Image: ref,
      Entrypoint: ['sh', '-c', `cd ${profile} && ls -A && grep -c user_pref user.js`],
      Labels: { 'io.porthole.test': 'images' },
    });
    cleanup.push(() => removeContainer(container));
    await container.start();
    expect(await waitForExit(container, 30_000)).toBe(0);
    const files = (await logs(container)).trim().split('\n');
    expect(files).toEqual(expect.arrayContaining(['prefs.js', 'user.js', 'extensions.json', 'startupCache']));
    expect(files).not.toContain('lock');
    expect(files).not.toContain('.parentlock');
    expect(Number(files.at(-1))).toBeGreaterThan(10);
  });

  it('is copied into a fresh, empty home before Firefox starts', async () => {
    const password = randomPassword();
    const container = await docker.createContainer({
      Image: ref,
      Env: [`VNC_PW=${password}`],
      Labels: { 'io.porthole.test': 'images' },
      ExposedPorts: { '6901/tcp': {} },
      HostConfig: {
        PortBindings: { '6901/tcp': [{ HostIp: '127.0.0.1', HostPort: '0' }] },
        ShmSize: 512 * 1024 * 1024,
        // An empty home, as a new volume mounted on it would be.
        Tmpfs: { '/home/kasm-user': 'uid=1000,gid=1000,mode=0755' },
      },
    });
    cleanup.push(() => removeContainer(container));
    await container.start();
    await waitForBanner(await hostPort(container), password);
    const deadline = Date.now() + 20_000;
    let found = '';
    while (Date.now() < deadline) {
      found = (await exec(container, ['sh', '-c', `ls -A ${profile} 2>/dev/null`])).output;
      if (found.includes('user.js')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // Firefox never writes user.js: its presence means the image's copy was used.
    expect(found.split('\n')).toEqual(expect.arrayContaining(['user.js', 'prefs.js', 'startupCache']));
  });
});
