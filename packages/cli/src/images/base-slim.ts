import type Dockerode from 'dockerode';
import { followStream } from './docker-stream.js';

/**
 * Set on a debootstrap base whose apt package lists and caches are gone. A base carrying them
 * (about 80 MB: lists, pkgcache.bin, srcpkgcache.bin) hands them to every image built on it: the
 * images delete them in their own layers, but deleted files still weigh in the layer below.
 */
export const slimBaseLabel = 'io.porthole.base-slim';
export const slimBaseChanges = [`LABEL ${slimBaseLabel}=1`];

/** What goes: the contents, not the directories apt expects (with their partial/). */
const dropAptState =
  'rm -rf /var/lib/apt/lists/* /var/cache/apt/* && ' +
  'mkdir -p /var/lib/apt/lists/partial /var/cache/apt/archives/partial';

/**
 * Replaces `ref` (a debootstrap base made before bases were slimmed) with a copy without apt
 * lists and caches: a container deletes them, its filesystem is exported and imported again as
 * one layer under the same tag, labelled `slimBaseLabel`. Engine API only; a few seconds. Returns
 * the new image id.
 */
export async function slimBase(docker: Dockerode, ref: string): Promise<string> {
  const colon = ref.lastIndexOf(':');
  const repo = ref.slice(0, colon);
  const tag = ref.slice(colon + 1);
  const container = await docker.createContainer({
    Image: ref,
    User: '0',
    Cmd: ['sh', '-c', dropAptState],
    Labels: { 'io.porthole.base-slim-run': '1' },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    if (StatusCode !== 0) throw new Error(`removing apt state from ${ref} exited with ${StatusCode}`);
    const tar = await container.export();
    const response = await docker.importImage(tar, { repo, tag, changes: slimBaseChanges });
    await followStream(response, () => {});
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
  return (await docker.getImage(ref).inspect()).Id;
}
