/**
 * Serialises work per key (a session id): a retried create racing the first one, or a delete
 * arriving mid-create, must see the container the other call made, not make a second one.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** True while any work for `key` is queued or running. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }
}
