/**
 * Serializes async work per key within one process: work for one key runs one at a
 * time, in call order; different keys run concurrently. Entries are dropped as soon as
 * a key has nothing queued, so memory follows the keys in use, not the keys ever seen.
 *
 * @public
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** The number of keys with work queued or running. */
  get size(): number {
    return this.#tails.size;
  }

  /**
   * Whether work for `key` is queued or running.
   *
   * @param key - the key.
   */
  busy(key: string): boolean {
    return this.#tails.has(key);
  }

  /**
   * Runs `work` once every earlier work for `key` has settled.
   *
   * @param key - the key to serialize on.
   * @param work - the work; its result or error is passed through.
   */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    const result = previous ? previous.then(work, work) : work();
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }
}
