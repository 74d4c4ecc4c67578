/**
 * A counting semaphore with a FIFO queue: at most `permits` holders at once; others wait
 * in arrival order. A waiter whose signal aborts leaves the queue.
 */
export class Semaphore {
  #free: number;
  readonly #queue: Array<(release: () => void) => void> = [];

  /** @param permits - how many holders at once. */
  constructor(permits: number) {
    this.#free = permits;
  }

  /** Resolves to a `release` function (calling it more than once does nothing). */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const grant = (release: () => void): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(release);
      };
      const onAbort = (): void => {
        const index = this.#queue.indexOf(grant);
        if (index !== -1) this.#queue.splice(index, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(grant);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      if (next) next(this.#releaser());
      else this.#free++;
    };
  }
}
