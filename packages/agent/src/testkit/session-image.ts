import type { DockerRuntime } from '../runtime/docker-runtime.js';
import { busyboxRootfs } from './busybox-image.js';

/**
 * A stand-in session image: busybox serving HTTP on 6901, so a container stays up under the
 * hardened spec and its loopback port answers. It does not speak RFB (readiness tests use a
 * real workspace image).
 */
export const SESSION_TEST_IMAGE = 'porthole/test-session-busybox:v2';

export async function ensureSessionTestImage(runtime: DockerRuntime): Promise<string> {
  if (await runtime.imagePresent(SESSION_TEST_IMAGE)) return SESSION_TEST_IMAGE;
  await runtime.importImage(await busyboxRootfs(), SESSION_TEST_IMAGE, [
    'ENV PATH=/bin',
    'WORKDIR /',
    // A shell as PID 1 that exits on SIGTERM, so `stop` does not wait out Docker's kill timeout.
    `CMD ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 6901 -h /www & wait"]`,
  ]);
  return SESSION_TEST_IMAGE;
}
