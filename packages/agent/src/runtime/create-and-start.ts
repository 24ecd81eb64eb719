import { type ContainerCreateSpec, type ContainerRuntime, RuntimeError } from './container-runtime.js';

/**
 * Create then start; when start fails (bad command, port clash, missing mount source) the created
 * container is removed before the error propagates, so a failed launch never leaves debris that the
 * check-in would report as an unknown container.
 */
export async function createAndStart(
  runtime: ContainerRuntime,
  spec: ContainerCreateSpec,
): Promise<{ containerId: string }> {
  const { containerId } = await runtime.create(spec);
  try {
    await runtime.start(containerId);
  } catch (startError) {
    try {
      await runtime.remove(containerId, { force: true });
    } catch (removeError) {
      const message = startError instanceof Error ? startError.message : String(startError);
      const removeMessage = removeError instanceof Error ? removeError.message : String(removeError);
      throw new RuntimeError(
        startError instanceof RuntimeError ? startError.code : 'failed',
        `${message} (and removing container ${containerId} failed: ${removeMessage})`,
        startError instanceof RuntimeError ? startError.statusCode : null,
        { cause: startError },
      );
    }
    throw startError;
  }
  return { containerId };
}
