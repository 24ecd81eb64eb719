import { describe, expect, it } from 'vitest';
import {
  agentSessionSelector,
  buildSessionContainerSpec,
  ContainerSpecError,
  type SessionContainerRequest,
  validateSessionContainerRequest,
} from './container-spec.js';

const GiB = 1024 ** 3;

const base = (overrides: Partial<SessionContainerRequest> = {}): SessionContainerRequest => ({
  sessionId: 'c0ffee00-1111-2222-3333-444455556666',
  ownerId: 'user-1',
  agentId: 'agent-a',
  image: { ref: 'porthole/desktop:latest', name: 'desktop' },
  vncPassword: 's3cret-pw',
  cores: 1.5,
  memoryBytes: 2 * GiB,
  shmBytes: 512 * 1024 * 1024,
  ...overrides,
});

const fields = (req: SessionContainerRequest, host = {}) =>
  validateSessionContainerRequest(req, host).map((i) => i.field);

describe('buildSessionContainerSpec', () => {
  it('hardens by default', () => {
    const spec = buildSessionContainerSpec(base());
    expect(spec.security).toEqual({
      capDrop: ['ALL'],
      capAdd: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'SETUID', 'SETGID', 'KILL'],
      noNewPrivileges: true,
    });
    expect('privileged' in spec).toBe(false);
    expect(spec.limits).toEqual({
      memoryBytes: 2 * GiB,
      nanoCpus: 1_500_000_000,
      pidsLimit: 1024,
      shmBytes: 512 * 1024 * 1024,
    });
    expect(spec.ports).toEqual([{ containerPort: 6901, protocol: 'tcp', hostIp: '127.0.0.1' }]);
    expect(spec.log).toEqual({ maxSizeBytes: 10 * 1024 * 1024, maxFiles: 2 });
    expect(spec.name).toBe('porthole-session-c0ffee00-1111-2222-3333-444455556666');
    expect(spec.image).toBe('porthole/desktop:latest');
    expect(spec.networkName).toBeUndefined();
  });

  it('labels and injects the platform environment', () => {
    const spec = buildSessionContainerSpec(
      base({ env: { TZ: 'UTC' }, kasmUser: 'alice', kasmUrl: 'https://example.org' }),
    );
    expect(spec.labels).toEqual({
      'io.porthole.session': 'c0ffee00-1111-2222-3333-444455556666',
      'io.porthole.agent': 'agent-a',
      'io.porthole.owner': 'user-1',
      'io.porthole.image': 'desktop',
    });
    expect(spec.env).toEqual({
      TZ: 'UTC',
      VNC_PW: 's3cret-pw',
      KASM_ID: 'c0ffee00-1111-2222-3333-444455556666',
      PORTHOLE_SESSION_ID: 'c0ffee00-1111-2222-3333-444455556666',
      KASM_USER: 'alice',
      KASM_URL: 'https://example.org',
    });
    expect(buildSessionContainerSpec(base()).env).not.toHaveProperty('KASM_URL');
  });

  it('mounts binds read-only and named volumes read-write unless told otherwise', () => {
    const spec = buildSessionContainerSpec(
      base({
        volumes: [
          { source: '/srv/shared', target: '/home/kasm-user/shared' },
          { source: '/srv/upload', target: '/home/kasm-user/upload', readOnly: false },
          { source: 'profile-vol', target: '/home/kasm-user/profile' },
        ],
      }),
    );
    expect(spec.mounts).toEqual([
      { source: '/srv/shared', target: '/home/kasm-user/shared', readOnly: true },
      { source: '/srv/upload', target: '/home/kasm-user/upload', readOnly: false },
      { source: 'profile-vol', target: '/home/kasm-user/profile', readOnly: false },
    ]);
  });

  it('applies the safe run-config keys in docker-py spelling', () => {
    const spec = buildSessionContainerSpec(
      base({
        networkName: 'porthole-sessions',
        runConfig: {
          hostname: 'kasm',
          environment: ['LANG=en_US.UTF-8'],
          labels: { team: 'qa' },
          dns: ['10.0.0.2'],
          dns_search: ['corp.example'],
          extra_hosts: { 'intranet.example': '10.0.0.9' },
          working_dir: '/home/kasm-user',
        },
      }),
    );
    expect(spec.hostname).toBe('kasm');
    expect(spec.env.LANG).toBe('en_US.UTF-8');
    expect(spec.labels.team).toBe('qa');
    expect(spec.dns).toEqual(['10.0.0.2']);
    expect(spec.dnsSearch).toEqual(['corp.example']);
    expect(spec.extraHosts).toEqual(['intranet.example:10.0.0.9']);
    expect(spec.workdir).toBe('/home/kasm-user');
    expect(spec.networkName).toBe('porthole-sessions');
  });

  it('throws a ContainerSpecError naming the field', () => {
    expect(() => buildSessionContainerSpec(base({ cores: -1 }))).toThrow(ContainerSpecError);
    try {
      buildSessionContainerSpec(base({ memoryBytes: 0 }));
    } catch (error) {
      expect(error).toBeInstanceOf(ContainerSpecError);
      expect((error as ContainerSpecError).field).toBe('memoryBytes');
      expect((error as Error).message).toMatch(/^memoryBytes: /);
    }
  });
});

describe('validateSessionContainerRequest', () => {
  it('accepts a good request', () => {
    expect(validateSessionContainerRequest(base(), { cores: 4, memoryBytes: 16 * GiB })).toEqual([]);
  });

  it('rejects missing, zero and negative resources', () => {
    expect(fields(base({ cores: -1 }))).toEqual(['cores']);
    expect(fields(base({ cores: 0 }))).toEqual(['cores']);
    expect(fields(base({ cores: Number.NaN }))).toEqual(['cores']);
    expect(fields(base({ cores: 0.001 }))).toEqual(['cores']);
    expect(fields(base({ memoryBytes: 0 }))).toEqual(['memoryBytes']);
    expect(fields(base({ memoryBytes: 1.5 }))).toEqual(['memoryBytes']);
    expect(fields(base({ memoryBytes: 1024 }))).toEqual(['memoryBytes']);
    expect(fields(base({ shmBytes: 0 }))).toEqual(['shmBytes']);
    const missing = { ...base() } as Partial<SessionContainerRequest>;
    delete missing.memoryBytes;
    expect(fields(missing as SessionContainerRequest)).toEqual(['memoryBytes']);
  });

  it('rejects more than the host has', () => {
    const host = { cores: 2, memoryBytes: 4 * GiB };
    const issues = validateSessionContainerRequest(base({ cores: 3, memoryBytes: 8 * GiB }), host);
    expect(issues.map((i) => i.field)).toEqual(['cores', 'memoryBytes']);
    expect(issues[1]?.message).toMatch(/exceeds the host's/);
  });

  it('rejects empty, malformed and absent images', () => {
    expect(fields(base({ image: { ref: '', name: 'x' } }))).toEqual(['image.ref']);
    expect(fields(base({ image: { ref: 'Bad Ref!', name: 'x' } }))).toEqual(['image.ref']);
    expect(fields(base({ image: { ref: 'a/b:c', name: '' } }))).toEqual(['image.name']);
    expect(fields(base(), { availableImages: new Set(['other:1']) })).toEqual(['image.ref']);
    for (const ref of [
      'busybox',
      '127.0.0.1:5000/porthole/x:1',
      'kasmweb/firefox:1.14.0',
      `a@sha256:${'0'.repeat(64)}`,
    ]) {
      expect(fields(base({ image: { ref, name: 'x' } }))).toEqual([]);
    }
  });

  it('rejects ids that cannot name a container and missing credentials', () => {
    expect(fields(base({ sessionId: '../x' }))).toEqual(['sessionId']);
    expect(fields(base({ ownerId: '' }))).toEqual(['ownerId']);
    expect(fields(base({ vncPassword: '' }))).toEqual(['vncPassword']);
    expect(fields(base({ kasmUrl: 'a\nb' }))).toEqual(['kasmUrl']);
  });

  it('refuses engine sockets and their parent directories as mount sources', () => {
    const sources = [
      '/var/run/docker.sock',
      '/run/docker.sock',
      '/var/run//docker.sock',
      '/home/me/../../var/run/docker.sock',
      '/run/containerd/containerd.sock',
      '/var/run',
      '/run/',
      '/',
      '/tmp/x/podman.sock',
    ];
    for (const source of sources) {
      const issues = validateSessionContainerRequest(base({ volumes: [{ source, target: '/mnt' }] }));
      expect(
        issues.map((i) => i.field),
        source,
      ).toEqual(['volumes[0].source']);
      expect(issues[0]?.message).toMatch(/engine socket/);
    }
  });

  it('checks volume shape', () => {
    expect(fields(base({ volumes: [{ source: 'rel/path', target: '/mnt' }] }))).toEqual([
      'volumes[0].source',
    ]);
    expect(fields(base({ volumes: [{ source: '/srv', target: 'mnt' }] }))).toEqual(['volumes[0].target']);
    expect(fields(base({ volumes: [{ source: '/srv', target: '/' }] }))).toEqual(['volumes[0].target']);
    expect(
      fields(
        base({
          volumes: [
            { source: '/a', target: '/mnt/x' },
            { source: '/b', target: '/mnt/x/' },
          ],
        }),
      ),
    ).toEqual(['volumes[1].target']);
  });

  it('refuses host networking and reserved or unsafe settings', () => {
    expect(fields(base({ networkName: 'host' }))).toEqual(['networkName']);
    expect(fields(base({ networkName: 'container:abc' }))).toEqual(['networkName']);
    expect(fields(base({ env: { VNC_PW: 'x' } }))).toEqual(['env.VNC_PW']);
    expect(fields(base({ env: { PORTHOLE_SESSION_ID: 'x' } }))).toEqual(['env.PORTHOLE_SESSION_ID']);
    expect(fields(base({ env: { 'BAD-NAME': 'x' } }))).toEqual(['env.BAD-NAME']);
    expect(fields(base({ runConfig: { privileged: true } }))).toEqual(['runConfig.privileged']);
    expect(fields(base({ runConfig: { user: 'root' } }))).toEqual(['runConfig.user']);
    expect(fields(base({ runConfig: { cap_add: ['SYS_ADMIN'] } }))).toEqual(['runConfig.cap_add']);
    expect(fields(base({ runConfig: { labels: { 'io.porthole.owner': 'x' } } }))).toEqual([
      'runConfig.labels',
    ]);
    expect(fields(base({ runConfig: { environment: { KASM_ID: 'x' } } }))).toEqual([
      'runConfig.environment.KASM_ID',
    ]);
    expect(fields(base({ runConfig: { hostname: 'not a host' } }))).toEqual(['runConfig.hostname']);
    expect(fields(base({ runConfig: { dns: '8.8.8.8' } }))).toEqual(['runConfig.dns']);
    expect(fields(base({ runConfig: { extra_hosts: ['nocolon'] } }))).toEqual(['runConfig.extra_hosts']);
  });

  it('reports every problem at once', () => {
    expect(fields(base({ cores: 0, memoryBytes: 0, image: { ref: '', name: '' } }))).toEqual([
      'image.name',
      'image.ref',
      'cores',
      'memoryBytes',
    ]);
  });
});

describe('agentSessionSelector', () => {
  it('selects this agent’s session containers', () => {
    expect(agentSessionSelector('agent-a')).toEqual({
      'io.porthole.agent': 'agent-a',
      'io.porthole.session': true,
    });
  });
});
