/**
 * A shared session as the coordinator holds it: a generation number that only grows, and
 * the session's material (what the strategy's `serialize` made of it), absent once the
 * session was logged out.
 *
 * @public
 */
export interface SharedSession {
  /** 1 for the principal's first session, then 2, 3… across every process. */
  readonly generation: number;
  /** The session's material; `undefined` when the session of this generation was logged out. */
  readonly data: unknown;
}

/**
 * A refusal of the credentials, kept so that no process tries them again before `until`.
 *
 * @public
 */
export interface SharedCooldown {
  /** When logins may be tried again, epoch milliseconds. */
  readonly until: number;
  /** What the upstream said. */
  readonly message: string;
}

/**
 * What a {@link SessionKeeper} and a {@link SessionPool} share with the other processes
 * that act as the same principals: the few primitives that make one upstream login per
 * principal cluster-wide and a pool's cap hold across processes. Without one, a keeper or
 * pool coordinates only its own callers; {@link MemoryCoordinator} shares between keepers
 * and pools of one process; `@session-policy/client-redis` between processes through Redis.
 *
 * Names are opaque strings chosen by the keeper and the pool (`k:alice`, `p:alice`…);
 * an implementation adds its own prefix. Every method may reject (the backend is down):
 * the keeper and the pool then fail the calls concerned with `ERR_COORDINATOR`.
 *
 * @public
 */
export interface SessionCoordinator {
  /** The shared session stored under `name`, if any was ever stored. */
  read(name: string): Promise<SharedSession | undefined>;
  /**
   * Compare-and-set: stores `data` as generation `expected + 1` if the generation stored
   * under `name` is still `expected` (0 when none), and resolves to what is stored after
   * the call, with `stored` telling whether it was this write.
   */
  write(name: string, expected: number, data: unknown): Promise<SharedSession & { readonly stored: boolean }>;
  /** Drops the material of generation `generation` (keeping the number), if it is still the one stored. */
  remove(name: string, generation: number): Promise<void>;
  /** The cooldown stored under `name`, if one is running. */
  cooldown(name: string): Promise<SharedCooldown | undefined>;
  /** Starts (or, with `undefined`, ends) a cooldown under `name`. */
  setCooldown(name: string, cooldown: SharedCooldown | undefined): Promise<void>;
  /**
   * Takes one of `max` permits named `name` for `lease` milliseconds (permits whose lease
   * ran out are free again: their process died). Resolves to the permit's id, or
   * `undefined` when all `max` are held.
   */
  acquirePermit(name: string, max: number, lease: number): Promise<string | undefined>;
  /** Extends a permit's lease; `false` when it had already run out (the permit is lost). */
  renewPermit(name: string, id: string, lease: number): Promise<boolean>;
  /**
   * Gives a permit back and tells the watchers of `name`; resolves to the number of
   * permits of `name` still held.
   */
  releasePermit(name: string, id: string): Promise<number>;
  /** Tells the watchers of `name`, in every process, that something changed. */
  notify(name: string): Promise<void>;
  /** Calls `listener` whenever `name` is notified (by any process); returns the unsubscribe. */
  watch(name: string, listener: () => void): () => void;
}

/** The names the keeper and the pool use in a coordinator. */
export const names = {
  /** The principal's shared session (keeper). */
  session: (key: string) => `k:${key}`,
  /** The principal's login lock: a permit of one (keeper). */
  lock: (key: string) => `l:${key}`,
  /** The keepers holding the principal's shared session: permits without a cap. */
  holders: (key: string) => `h:${key}`,
  /** The principal's refused-credentials cooldown (keeper and pool). */
  cooldown: (key: string) => `c:${key}`,
  /** The principal's pooled sessions: permits capped at the pool's `max`. */
  pool: (key: string) => `p:${key}`,
  /** "A process waits for a place in the pool": holders of idle sessions let one go. */
  demand: (key: string) => `d:${key}`,
} as const;

/**
 * Resolves after `name` is notified or after `timeout` milliseconds, whichever comes
 * first, or rejects when the signal aborts. Subscribe before checking the condition
 * waited for, so a notification in between is not missed: call `arm()` first.
 */
export function waiter(
  coordinator: SessionCoordinator,
  name: string,
): { arm(): void; disarm(): void; wait(timeout: number, signal?: AbortSignal): Promise<void> } {
  let notified = false;
  let wake: (() => void) | undefined;
  let unwatch: (() => void) | undefined;
  return {
    arm() {
      unwatch = coordinator.watch(name, () => {
        notified = true;
        wake?.();
      });
    },
    disarm() {
      unwatch?.();
    },
    wait(timeout, signal) {
      return new Promise<void>((resolve, reject) => {
        const done = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          unwatch?.();
          resolve();
        };
        const onAbort = (): void => {
          clearTimeout(timer);
          unwatch?.();
          reject(signal?.reason);
        };
        const timer = setTimeout(done, timeout);
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        if (notified) return done();
        wake = done;
      });
    },
  };
}
