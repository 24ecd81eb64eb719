import Docker from 'dockerode';
import { DockerRuntime } from '../../../packages/agent/src/runtime/docker-runtime.js';
import { ensureSessionTestImage } from '../../../packages/agent/src/testkit/session-image.js';
import { createTar } from '../../../packages/agent/src/testkit/tar.js';

export const DOCKER_SOCKET = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock';
export const docker = new Docker({ socketPath: DOCKER_SOCKET });

/** Built by scripts/test-images.sh; the parent of the light RFB image below. */
export const DESKTOP_IMAGE = 'porthole/desktop:latest';
export const FIREFOX_IMAGE = 'porthole/firefox:latest';
/**
 * The desktop image without its desktop session: Xvnc and websockify only (the image contract:
 * HTTPS + basic auth on 6901, the RFB banner on /websockify), so a session becomes RFB-ready in
 * about a second and costs ~50 MB instead of a full desktop. Reliability scenarios launch many of
 * these on a 2-core machine.
 */
export const RFB_LITE_IMAGE = 'porthole/test-rfb-lite:latest';
const PARENT_LABEL = 'io.porthole.test.parent';

const NO_SESSION = `#!/bin/sh
# Reliability test image: no desktop session; Xvnc and websockify (porthole-start) are the workspace.
exit 0
`;

/** Makes RFB_LITE_IMAGE from the local desktop image (rebuilt when the desktop image changes). */
export async function ensureRfbLiteImage(client: Docker = docker): Promise<string> {
  let parentId: string;
  try {
    parentId = (await client.getImage(DESKTOP_IMAGE).inspect()).Id;
  } catch {
    throw new Error(`${DESKTOP_IMAGE} is missing: build it with scripts/test-images.sh (npm test does)`);
  }
  try {
    const current = await client.getImage(RFB_LITE_IMAGE).inspect();
    if (current.Config.Labels?.[PARENT_LABEL] === parentId) return RFB_LITE_IMAGE;
  } catch {
    // not built yet
  }
  const container = await client.createContainer({
    Image: DESKTOP_IMAGE,
    Labels: { [PARENT_LABEL]: parentId },
  });
  try {
    const tar = createTar([
      { type: 'file', path: 'usr/local/bin/porthole-session', data: Buffer.from(NO_SESSION), mode: 0o755 },
    ]);
    await container.putArchive(tar, { path: '/' });
    const [repo, tag] = RFB_LITE_IMAGE.split(':');
    await container.commit({
      repo,
      tag,
      comment: 'porthole reliability test image',
      changes: [`LABEL ${PARENT_LABEL}=${parentId}`],
    });
  } finally {
    await container.remove({ force: true });
  }
  return RFB_LITE_IMAGE;
}

/** The tiny busybox session image (serves HTTP on 6901, never RFB-ready). */
export async function ensureBusyboxSessionImage(socket = DOCKER_SOCKET): Promise<string> {
  return ensureSessionTestImage(new DockerRuntime(`unix://${socket}`));
}

export async function imagePresent(ref: string, client: Docker = docker): Promise<boolean> {
  try {
    await client.getImage(ref).inspect();
    return true;
  } catch {
    return false;
  }
}

/** Containers carrying a label (all states). */
export function containersWithLabel(label: string, client: Docker = docker): Promise<Docker.ContainerInfo[]> {
  return client.listContainers({ all: true, filters: { label: [label] } });
}

/** Removes every container of an agent (cleanup after a scenario). */
export async function removeAgentContainers(agentId: string, client: Docker = docker): Promise<void> {
  const left = await containersWithLabel(`io.porthole.agent=${agentId}`, client);
  await Promise.all(
    left.map((c) =>
      client
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}
