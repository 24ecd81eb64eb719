import { parseDockerConnection } from '@porthole/agent';
import type { ImageBuildEvent } from '@porthole/contracts';
import Dockerode from 'dockerode';
import type { Logger } from 'pino';
import { buildImages, imageNames, repositoryOf } from '../images/index.js';
import type { ImagesState } from './banner.js';
import { buildEstimate, recordBuild } from './build-history.js';

/** Default images with no `:latest` on the engine: what a first start has to build before a launch. */
async function missingImages(docker: Dockerode): Promise<string[]> {
  const missing: string[] = [];
  for (const name of imageNames) {
    try {
      await docker.getImage(`${repositoryOf(name)}:latest`).inspect();
    } catch {
      missing.push(name);
    }
  }
  return missing;
}

/**
 * A newcomer's first launch needs the default images; build them without holding up start-up.
 * Progress goes to the log (one line per Dockerfile step) and, as data, to the server's
 * image-build state (admin Workspaces page). Returns what the banner says about it.
 */
export async function buildInBackground(opts: {
  logger: Logger;
  dockerHost: string | undefined;
  dataDir: string;
  onProgress: (event: ImageBuildEvent) => void;
}): Promise<ImagesState> {
  const log = opts.logger.child({ component: 'images' });
  if (opts.dockerHost && !/^(unix:\/\/|\/)/.test(opts.dockerHost)) {
    log.info('not building images: the local agent uses a remote Docker host');
    return { kind: 'off', reason: 'the local agent uses a remote Docker host' };
  }
  const docker = new Dockerode(parseDockerConnection(opts.dockerHost));
  const missing = await missingImages(docker);
  const estimate = await buildEstimate(opts.dataDir);
  const started = Date.now();
  buildImages({ docker, log: (line) => log.info(line), onProgress: opts.onProgress })
    .then(async (results) => {
      const failed = results.filter((r) => r.status === 'failed');
      if (failed.length > 0)
        log.warn({ failed: failed.map((f) => `${f.name}: ${f.error}`) }, 'some images did not build');
      else log.info({ images: results.map((r) => `${r.image} ${r.status}`) }, 'workspace images ready');
      // Only a run that built something says how long building takes here.
      if (results.some((r) => r.status === 'built'))
        await recordBuild(opts.dataDir, (Date.now() - started) / 1000).catch(() => undefined);
    })
    .catch((err: unknown) =>
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'image build skipped'),
    );
  if (missing.length === 0) return { kind: 'checking' };
  return { kind: 'building', names: missing, estimateSeconds: estimate.seconds, measured: estimate.measured };
}
