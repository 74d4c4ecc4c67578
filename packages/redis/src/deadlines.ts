/**
 * The command deadline of one connection: every command waits at most `ms` for its reply,
 * then fails. One timer for all outstanding commands, not one per command: every command
 * of a connection has the same timeout, so deadlines come in the order commands are sent,
 * and a FIFO with one timer armed for its oldest entry is enough.
 *
 * Measured against the alternatives (a real redis-server, `GET` through one client, see
 * `benchmarks/RESULTS.md`): node-redis's per-command `timeout` option builds an
 * `AbortSignal.timeout` per command and costs several microseconds a call; a
 * `setTimeout` per command about a microsecond; this, nothing measurable.
 *
 * A command that times out may still run in Redis later (it may have been sent, or sit in
 * a client's offline queue): the caller is told `ERR_STORE`, whose outcome is unknown.
 */
export class Deadlines {
  readonly #ms: number;
  // Outstanding commands in deadline order; entries before #head are done.
  #queue: Pending[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;

  /** @param ms - the deadline, in milliseconds. */
  constructor(ms: number) {
    this.#ms = ms;
  }

  /**
   * The outcome of `promise`, or a rejection once `ms` have passed without one. The late
   * outcome is swallowed, so a timed-out command never becomes an unhandled rejection.
   *
   * @param promise - a command's reply.
   * @param what - what is awaited, for the error message.
   */
  watch<T>(promise: Promise<T>, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending = new Pending(performance.now() + this.#ms, what, reject);
      this.#queue.push(pending);
      this.#timer ??= this.#arm();
      promise.then(
        (value) => {
          if (pending.settle()) resolve(value);
        },
        (error: unknown) => {
          if (pending.settle()) reject(error);
        },
      );
    });
  }

  /** Arms the timer for the oldest outstanding entry (none when nothing is outstanding). */
  #arm(): NodeJS.Timeout | undefined {
    const queue = this.#queue;
    while (this.#head < queue.length && queue[this.#head]!.done) this.#head++;
    if (this.#head >= queue.length) {
      this.#queue = [];
      this.#head = 0;
      return undefined;
    }
    // Drop the settled prefix once it is most of the array (amortized O(1) per entry).
    if (this.#head > 1024 && this.#head * 2 > queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
    const wait = Math.max(1, this.#queue[this.#head]!.deadline - performance.now());
    // Unref'd: a command in flight keeps the process alive through its socket, not its
    // timer; once nothing is outstanding there is no timer at all.
    return setTimeout(() => this.#expire(), wait).unref();
  }

  #expire(): void {
    const now = performance.now();
    const queue = this.#queue;
    while (this.#head < queue.length) {
      const pending = queue[this.#head]!;
      if (!pending.done) {
        if (pending.deadline > now) break;
        const reject = pending.reject!;
        pending.settle();
        reject(new Error(`Redis did not answer ${pending.what} within ${this.#ms} ms`));
      }
      this.#head++;
    }
    this.#timer = this.#arm();
  }
}

/**
 * One outstanding command. Settling drops the reference to the caller's `reject`: the
 * entry stays in the queue until the timer passes it (up to the deadline), and through
 * `reject`'s context it would keep the settled promise and its reply (a record of a few
 * kB, each) alive that long.
 */
class Pending {
  constructor(
    readonly deadline: number,
    readonly what: string,
    public reject: ((error: Error) => void) | undefined,
  ) {}

  /** Whether the command has its outcome (a reply, an error, or the deadline's). */
  get done(): boolean {
    return this.reject === undefined;
  }

  /** Marks it settled; `false` when it was already (the deadline came first). */
  settle(): boolean {
    if (this.reject === undefined) return false;
    this.reject = undefined;
    return true;
  }
}
