import { EventEmitter, setMaxListeners } from 'node:events';
import { names, waiter, type SessionCoordinator } from './coordinator.js';
import { assertDetachedSession, DETACHED_SESSION_TYPE, type DetachedSession } from './detached-session.js';
import {
  ClientError,
  CoordinatorError,
  InvalidDetachedSessionError,
  InvalidOptionError,
  LeaseEndedError,
  LoginCooldownError,
  PoolClosedError,
  PoolFullError,
  PoolTimeoutError,
  SessionExpiredError,
  UpstreamUnavailableError,
} from './errors.js';
import type { ClientEvents, LogoutReason, ReleaseOutcome } from './events.js';
import type { RunContext, Work } from './keeper.js';
import { Leases } from './leases.js';
import { isRefused, loginWithRetry } from './login.js';
import { logoutWithin } from './logout.js';
import { resolveRetry, type ResolvedRetry, type RetryOptions } from './retry.js';
import { Counters, type ClientStats } from './stats.js';
import { defaultPrincipalKey, isSessionExpiredError, type SessionStrategy } from './strategy.js';
import { resolveTiming, settledWithin, type ResolvedTiming, type TimingOptions } from './timing.js';
import { TIMING_NAMES } from './option-names.js';
import { rejectUnknownOptions } from './unknown-options.js';

/**
 * Options of {@link SessionPool}.
 *
 * @typeParam P - the principal type.
 * @typeParam S - the session type.
 * @public
 */
export interface SessionPoolOptions<P, S> extends TimingOptions {
  /** How to log in, tell expiry and log out. */
  readonly strategy: SessionStrategy<P, S>;
  /**
   * The most sessions the pool holds per principal (leased, idle or being created): set
   * it to what the upstream allows. Callers beyond it wait for a session to be released.
   */
  readonly max: number;
  /**
   * How long `acquire` waits for a free session by default, in milliseconds, before
   * failing with `ERR_POOL_TIMEOUT`. Default `Infinity`.
   */
  readonly acquireTimeout?: number;
  /** How logins are retried after passing failures. See {@link RetryOptions}. */
  readonly retry?: RetryOptions;
  /**
   * Makes `max` hold across every pool sharing the coordinator (other processes, through
   * `@session-policy/client-redis`): each session holds one of `max` permits with a
   * lease, renewed while the process lives and freed when it dies; a process waiting for
   * a place asks the others to let an idle session go. Refusals cool down for all of
   * them. Without it (the default) the cap is per process.
   */
  readonly coordinator?: SessionCoordinator;
}

/**
 * Options of {@link SessionPool.acquire} and {@link SessionPool.run}.
 *
 * @public
 */
export interface AcquireOptions {
  /** Cancels the wait for a session. */
  readonly signal?: AbortSignal;
  /** Overrides the pool's `acquireTimeout` for this call, in milliseconds. */
  readonly timeout?: number;
}

/**
 * A session lent by a {@link SessionPool}. End every lease exactly once: `release` it
 * (or let `using` do it), `discard` it if the upstream says it expired, or `detach` it to
 * hand it to another process.
 *
 * @public
 */
export interface PoolLease<S> extends Disposable {
  /** The session. */
  readonly session: S;
  /** The principal's key. */
  readonly key: string;
  /** The session's generation in this pool (1, 2, 3… per principal). */
  readonly generation: number;
  /** Gives the session back for the next caller. */
  release(): void;
  /**
   * Lets the session go without logging out (it expired or broke); its place in the cap
   * is freed and the next session created for the principal counts as a renewal.
   */
  discard(): void;
  /**
   * Takes the session out of the pool in a serializable form for
   * {@link SessionPool.attach} in another process; its place here is freed. The upstream
   * session stays logged in.
   */
  detach(): DetachedSession;
  /** Releases the lease if it is still held (for `using`). */
  [Symbol.dispose](): void;
}

/**
 * How many sessions a principal has in the pool.
 *
 * @public
 */
export interface PoolSize {
  /** Sessions lent out. */
  readonly leased: number;
  /** Sessions waiting to be lent. */
  readonly idle: number;
  /** Sessions being created (logins in flight). */
  readonly creating: number;
  /** Callers waiting for a session. */
  readonly waiting: number;
}

interface Held<S> {
  readonly session: S;
  readonly generation: number;
  /** With a coordinator: this session's place in the cluster-wide cap. */
  permit: string | undefined;
  /** Set while the session is idle, when `idleTimeout` is finite. */
  idleTimer: NodeJS.Timeout | undefined;
}

interface Waiter<S> {
  grant(held: Held<S> | null): void;
  fail(error: unknown): void;
}

interface Bucket<P, S> {
  readonly key: string;
  principal: P;
  readonly idle: Held<S>[];
  readonly waiters: Waiter<S>[];
  /** Sessions that exist or are being created: the number the cap applies to. */
  count: number;
  leased: number;
  generation: number;
  /** Generations discarded as expired and not yet replaced, oldest first. */
  readonly replacing: number[];
  /** Whether the last login worked (none yet: no): if not, logins go one at a time (see `#login`). */
  healthy: boolean;
  /** The one login in flight while logins fail; other creators wait for its outcome. */
  probe: Promise<unknown> | undefined;
  /** Refused credentials: no login before `until`. */
  cooldown: { until: number; cause: unknown } | undefined;
  /** With a coordinator: stops listening to other processes' demand. */
  unwatch: (() => void) | undefined;
  /** Another process asked for a place while none was idle here: let the next one go. */
  demanded: boolean;
}

const POOL_NAMES = [
  ...Object.keys({ strategy: true, max: true, acquireTimeout: true, retry: true, coordinator: true } satisfies Record<Exclude<keyof SessionPoolOptions<unknown, unknown>, keyof TimingOptions>, true>),
  ...TIMING_NAMES,
];
const ACQUIRE_NAMES = Object.keys({ signal: true, timeout: true } satisfies Record<keyof AcquireOptions, true>);

/**
 * A pool of upstream sessions per principal, for upstreams that allow N active sessions
 * per user: up to `max` sessions per principal are created on demand (one login each),
 * lent to one caller at a time and reused; callers beyond the cap wait in order, with a
 * timeout. While logins fail, they are single-flight per principal (one login with its
 * retries; the callers waiting share its outcome), and refused credentials cool down as
 * in {@link SessionKeeper}. A session can be detached to a serializable form and attached
 * to a pool in another process. With a `coordinator`, `max` holds across every process
 * sharing it. Events and stats as for {@link SessionKeeper}.
 *
 * @example
 * ```ts
 * await using pool = new SessionPool({ strategy, max: 5 });
 * const rows = await pool.run('etl', async (session) => (await session.fetch('/export')).json());
 * {
 *   using lease = await pool.acquire('etl', { timeout: 10_000 });
 *   await lease.session.fetch('/import', { method: 'POST', body });
 * }
 * ```
 * @typeParam P - the principal type.
 * @typeParam S - the session type.
 * @public
 */
export class SessionPool<P, S> extends EventEmitter<ClientEvents> {
  /** The cap on sessions per principal. */
  readonly max: number;
  readonly #strategy: SessionStrategy<P, S>;
  readonly #retry: ResolvedRetry;
  readonly #timing: ResolvedTiming;
  readonly #acquireTimeout: number;
  readonly #coordinator: SessionCoordinator | undefined;
  readonly #leases: Leases | undefined;
  readonly #key: (principal: P) => string;
  readonly #isExpired: (error: unknown, session: S) => boolean;
  readonly #buckets = new Map<string, Bucket<P, S>>();
  readonly #counters = new Counters();
  /** Aborted by `close()`: every caller's wait ends. */
  readonly #closing = new AbortController();
  /** Aborted when `close()` stops waiting for logins in flight. */
  readonly #abandon = new AbortController();
  readonly #logouts = new Set<Promise<void>>();
  readonly #creating = new Set<Promise<unknown>>();
  #total = 0;
  #closed: Promise<void> | undefined;
  #emptied: (() => void) | undefined;

  /** @param options - see {@link SessionPoolOptions}. */
  constructor(options: SessionPoolOptions<P, S>) {
    super();
    const given = options ?? ({} as SessionPoolOptions<P, S>);
    rejectUnknownOptions(given, POOL_NAMES, 'SessionPool');
    const { strategy, max, acquireTimeout = Infinity, coordinator } = given;
    if (typeof strategy?.login !== 'function') throw new InvalidOptionError('strategy', 'must be an object with a login() function');
    if (!Number.isInteger(max) || max < 1) throw new InvalidOptionError('max', 'must be an integer of at least 1');
    if (!(acquireTimeout > 0)) throw new InvalidOptionError('acquireTimeout', 'must be a number of milliseconds > 0, or Infinity');
    if (coordinator !== undefined && typeof coordinator?.acquirePermit !== 'function') {
      throw new InvalidOptionError('coordinator', 'must implement SessionCoordinator (a MemoryCoordinator, a RedisCoordinator…)');
    }
    this.max = max;
    // Every caller waiting for a login listens to these; there may be thousands.
    setMaxListeners(0, this.#closing.signal, this.#abandon.signal);
    this.#strategy = strategy;
    this.#retry = resolveRetry(options.retry, 'SessionPool');
    this.#timing = resolveTiming(options);
    this.#acquireTimeout = acquireTimeout;
    this.#coordinator = coordinator;
    this.#leases = coordinator ? new Leases(coordinator, this.#timing.lease) : undefined;
    this.#key = strategy.key ? (principal) => strategy.key!(principal) : defaultPrincipalKey;
    this.#isExpired = strategy.isExpired ? (error, session) => strategy.isExpired!(error, session) : isSessionExpiredError;
  }

  /** Whether {@link SessionPool.close} was called. */
  get closed(): boolean {
    return this.#closing.signal.aborted;
  }

  /** Counters since the pool was created. See {@link ClientStats}. */
  stats(): ClientStats {
    return this.#counters.snapshot();
  }

  /**
   * How many sessions the principal has in the pool, and how many callers wait.
   *
   * @param principal - the principal.
   */
  size(principal: P): PoolSize {
    const bucket = this.#buckets.get(this.#key(principal));
    if (!bucket) return { leased: 0, idle: 0, creating: 0, waiting: 0 };
    const { leased, idle, count, waiters } = bucket;
    return { leased, idle: idle.length, creating: count - leased - idle.length, waiting: waiters.length };
  }

  /**
   * Lends a session of the principal: an idle one if there is one, else a new one if the
   * principal is under the cap, else the next one released (in order of arrival).
   *
   * @param principal - whom to act as.
   * @param options - see {@link AcquireOptions}.
   * @throws {@link PoolTimeoutError} when none became free in time;
   *   {@link PoolClosedError} after `close()`; login errors as for
   *   {@link SessionKeeper.run} (a refusal or `ERR_UPSTREAM_UNAVAILABLE` is shared by
   *   the callers waiting at the time); the signal's reason when aborted.
   */
  async acquire(principal: P, options: AcquireOptions = {}): Promise<PoolLease<S>> {
    if (this.closed) throw new PoolClosedError();
    rejectUnknownOptions(options, ACQUIRE_NAMES, 'acquire()');
    const { signal, timeout = this.#acquireTimeout } = options;
    signal?.throwIfAborted();
    const started = performance.now();
    const deadline = timeout === Infinity ? Infinity : Date.now() + timeout;
    const bucket = this.#bucket(principal);
    try {
      this.#throwIfCooling(bucket);
    } catch (error) {
      this.#forgetIfEmpty(bucket);
      throw error;
    }
    let held: Held<S> | null;
    if (bucket.idle.length > 0) held = this.#takeIdle(bucket);
    else if (bucket.count < this.max) {
      bucket.count++;
      this.#total++;
      held = null;
    } else held = await this.#wait(bucket, signal, timeout);
    if (held === null) {
      const creating = this.#create(bucket, signal, deadline, timeout);
      this.#creating.add(creating);
      void creating.then(
        () => this.#creating.delete(creating),
        () => this.#creating.delete(creating),
      );
      try {
        held = await creating;
      } catch (error) {
        this.#drop(bucket);
        throw error;
      }
    }
    this.emit('acquire', { key: bucket.key, generation: held.generation, waited: performance.now() - started });
    return this.#lease(bucket, held);
  }

  /**
   * Runs `work` with a lent session and gives it back. If the work reports expiry, the
   * session is discarded and the work runs once more with another session.
   *
   * @param principal - whom to act as.
   * @param work - the work.
   * @param options - see {@link AcquireOptions}.
   * @throws as {@link SessionPool.acquire}, and {@link SessionExpiredError} when the
   *   retry reports expiry too.
   */
  async run<T>(principal: P, work: Work<S, T>, options: AcquireOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const lease = await this.acquire(principal, options);
      const context: RunContext = { generation: lease.generation, attempt, signal: options.signal };
      let result: T;
      try {
        result = await work(lease.session, context);
      } catch (error) {
        if (!this.#isExpired(error, lease.session)) {
          lease.release();
          throw error;
        }
        lease.discard();
        if (attempt === 1) continue;
        if (error instanceof SessionExpiredError) throw error;
        throw new SessionExpiredError('The upstream session expired again with another session', undefined, { cause: error });
      }
      lease.release();
      return result;
    }
  }

  /**
   * Takes in a session detached from a pool (possibly in another process) and lends it
   * to the caller; it counts towards the principal's cap from now on. With a coordinator
   * it also takes a place in the cluster-wide cap, without waiting for one: if all are
   * held, it counts against this process's cap only.
   *
   * @param principal - the principal it belongs to.
   * @param detached - what {@link PoolLease.detach} returned (after a JSON round trip,
   *   if you like).
   * @throws {@link InvalidDetachedSessionError} when it is not a detached session of this
   *   principal; {@link PoolFullError} when the principal is at the cap;
   *   {@link PoolClosedError} after `close()`.
   */
  attach(principal: P, detached: DetachedSession): PoolLease<S> {
    if (this.closed) throw new PoolClosedError();
    const key = this.#key(principal);
    assertDetachedSession(detached, key);
    let session: S;
    try {
      session = this.#strategy.deserialize ? this.#strategy.deserialize(detached.data, principal) : (detached.data as S);
    } catch (error) {
      throw new InvalidDetachedSessionError(`the strategy could not rebuild it (${error instanceof Error ? error.message : String(error)})`);
    }
    const bucket = this.#bucket(principal);
    if (bucket.count >= this.max) {
      this.#forgetIfEmpty(bucket);
      throw new PoolFullError(key, this.max);
    }
    bucket.count++;
    this.#total++;
    this.#counters.created++;
    const held: Held<S> = { session, generation: ++bucket.generation, permit: undefined, idleTimer: undefined };
    if (this.#leases) {
      void this.#leases.acquire(names.pool(key), this.max).then(
        (permit) => {
          held.permit = permit;
        },
        () => undefined,
      );
    }
    this.emit('acquire', { key, generation: held.generation, waited: 0 });
    return this.#lease(bucket, held);
  }

  /**
   * Ends the refused-credentials cooldown of the principal (in every process, with a
   * coordinator): the next call logs in again. Call it once the password is fixed.
   *
   * @param principal - whose cooldown to end.
   */
  async resetCooldown(principal: P): Promise<void> {
    const key = this.#key(principal);
    const bucket = this.#buckets.get(key);
    if (bucket) {
      bucket.cooldown = undefined;
      this.#forgetIfEmpty(bucket);
    }
    await this.#coordinator?.setCooldown(names.cooldown(key), undefined);
  }

  /**
   * Closes the pool: waiting callers fail with `ERR_POOL_CLOSED`, idle sessions are logged
   * out, leased ones are logged out when released (and waited for), logins in flight are
   * let finish (for at most `logoutTimeout`) and their sessions logged out; each logout is
   * bounded by `logoutTimeout`. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  /** Same as {@link SessionPool.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(): Promise<void> {
    const closed = new PoolClosedError();
    this.#closing.abort(closed);
    for (const bucket of this.#buckets.values()) {
      for (const waiter of bucket.waiters.splice(0)) waiter.fail(closed);
      for (const held of bucket.idle.splice(0)) this.#retire(bucket, held, 'close');
    }
    if (this.#creating.size > 0 && !(await settledWithin(Promise.all(this.#creating), this.#timing.logoutTimeout))) {
      this.#abandon.abort(closed);
    }
    if (this.#total > 0) await new Promise<void>((resolve) => (this.#emptied = resolve));
    await Promise.all(this.#logouts);
    for (const bucket of this.#buckets.values()) bucket.unwatch?.();
    this.#buckets.clear();
    this.#leases?.stop();
  }

  #bucket(principal: P): Bucket<P, S> {
    const key = this.#key(principal);
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = {
        key,
        principal,
        idle: [],
        waiters: [],
        count: 0,
        leased: 0,
        generation: 0,
        replacing: [],
        healthy: false,
        probe: undefined,
        cooldown: undefined,
        unwatch: undefined,
        demanded: false,
      };
      const created = bucket;
      // Another process waits for a place in the cap: let one idle session go for it.
      bucket.unwatch = this.#coordinator?.watch(names.demand(key), () => {
        if (this.closed) return;
        if (created.idle.length > 0) this.#retire(created, this.#takeIdle(created), 'demand');
        else if (created.count > 0) created.demanded = true;
      });
      this.#buckets.set(key, bucket);
    } else bucket.principal = principal;
    return bucket;
  }

  #forgetIfEmpty(bucket: Bucket<P, S>): void {
    const cooling = bucket.cooldown !== undefined && bucket.cooldown.until > Date.now();
    if (bucket.count === 0 && bucket.waiters.length === 0 && bucket.replacing.length === 0 && !cooling && !bucket.probe) {
      bucket.unwatch?.();
      this.#buckets.delete(bucket.key);
    }
  }

  #throwIfCooling(bucket: Bucket<P, S>): void {
    // With a coordinator the cooldown is the shared one, looked up before each login
    // (another process may have reset it).
    if (this.#coordinator) return;
    const cooldown = bucket.cooldown;
    if (!cooldown) return;
    if (cooldown.until > Date.now()) throw new LoginCooldownError(bucket.key, cooldown.until, cooldown.cause);
    bucket.cooldown = undefined;
  }

  #takeIdle(bucket: Bucket<P, S>): Held<S> {
    const held = bucket.idle.pop()!;
    clearTimeout(held.idleTimer);
    held.idleTimer = undefined;
    return held;
  }

  #wait(bucket: Bucket<P, S>, signal: AbortSignal | undefined, timeout: number): Promise<Held<S> | null> {
    return new Promise((resolve, reject) => {
      const leave = (): void => {
        const index = bucket.waiters.indexOf(waiter);
        if (index !== -1) bucket.waiters.splice(index, 1);
        this.#forgetIfEmpty(bucket);
      };
      const cleanup = (): void => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        cleanup();
        leave();
        reject(signal?.reason);
      };
      const waiter: Waiter<S> = {
        grant: (held) => {
          cleanup();
          resolve(held);
        },
        fail: (error) => {
          cleanup();
          reject(error);
        },
      };
      const timer =
        timeout === Infinity
          ? undefined
          : setTimeout(() => {
              cleanup();
              leave();
              reject(new PoolTimeoutError(bucket.key, timeout));
            }, timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      bucket.waiters.push(waiter);
    });
  }

  /** Creates a session in a place of the cap taken by the caller. */
  async #create(bucket: Bucket<P, S>, signal: AbortSignal | undefined, deadline: number, timeout: number): Promise<Held<S>> {
    const permit = this.#leases ? await this.#permit(bucket, signal, deadline, timeout) : undefined;
    let handedOff = false;
    try {
      const replaces = bucket.replacing.shift();
      const renewal = replaces !== undefined;
      const { session, attempts } = await this.#login(bucket, renewal);
      const held: Held<S> = { session, generation: ++bucket.generation, permit, idleTimer: undefined };
      this.#counters.created++;
      if (renewal) this.#counters.renewals++;
      this.emit('login', { key: bucket.key, generation: held.generation, renewal, attempts });
      if (renewal) this.emit('renewal', { key: bucket.key, from: replaces, to: held.generation });
      handedOff = true;
      if (this.closed) {
        // Created after close(): log it out rather than lend it (acquire frees its place).
        this.#logout(bucket, held, 'close');
        throw new PoolClosedError();
      }
      return held;
    } catch (error) {
      if (permit !== undefined && !handedOff) await this.#leases!.release(names.pool(bucket.key), permit).catch(() => undefined);
      throw error;
    }
  }

  /** Takes a place in the cluster-wide cap, waiting for one (and asking idle holders elsewhere to let one go). */
  async #permit(bucket: Bucket<P, S>, signal: AbortSignal | undefined, deadline: number, timeout: number): Promise<string> {
    const coordinator = this.#coordinator!;
    const name = names.pool(bucket.key);
    const wait = signal ? AbortSignal.any([signal, this.#closing.signal]) : this.#closing.signal;
    try {
      for (;;) {
        const released = waiter(coordinator, name);
        released.arm();
        const permit = await this.#leases!.acquire(name, this.max);
        if (permit !== undefined) {
          released.disarm();
          return permit;
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          released.disarm();
          throw new PoolTimeoutError(bucket.key, timeout);
        }
        await coordinator.notify(names.demand(bucket.key));
        await released.wait(Math.min(left, this.#timing.lease), wait);
      }
    } catch (error) {
      if (error instanceof ClientError || error === signal?.reason) throw error;
      throw new CoordinatorError(`Taking a place in the pool of "${bucket.key}" failed`, error);
    }
  }

  /**
   * Logs in for a new session. While logins work they run side by side (one per session
   * created); once one fails, logins go one at a time: the first becomes the probe, which
   * retries with backoff, and every creator waiting meanwhile shares its outcome — so a
   * down upstream or a wrong password costs one login's attempts, not one per caller.
   */
  async #login(bucket: Bucket<P, S>, renewal: boolean): Promise<{ session: S; attempts: number }> {
    let failedOnce = false;
    for (;;) {
      this.#throwIfCooling(bucket);
      if (bucket.probe) {
        await bucket.probe;
        continue;
      }
      if (bucket.healthy && !failedOnce) {
        try {
          return await this.#upstreamLogin(bucket, renewal, 1, this.#retry.attempts === 1 ? undefined : 1);
        } catch (error) {
          if (isRefused(error) || this.closed || this.#retry.attempts === 1 || !(error instanceof UpstreamUnavailableError)) throw error;
          bucket.healthy = false;
          failedOnce = true;
          continue;
        }
      }
      const probe = this.#upstreamLogin(bucket, renewal, failedOnce ? 2 : 1, undefined);
      bucket.probe = probe;
      try {
        const made = await probe;
        bucket.healthy = true;
        return made;
      } catch (error) {
        // Those waiting for a place share the failure rather than each trying again.
        for (const waiter of bucket.waiters.splice(0)) waiter.fail(error);
        throw error;
      } finally {
        bucket.probe = undefined;
      }
    }
  }

  /** One login (with retries from `firstAttempt`, or `only` attempts); a refusal starts the cooldown. */
  async #upstreamLogin(bucket: Bucket<P, S>, renewal: boolean, firstAttempt: number, only: number | undefined): Promise<{ session: S; attempts: number }> {
    const coordinator = this.#coordinator;
    if (coordinator) {
      const shared = await coordinator.cooldown(names.cooldown(bucket.key)).catch(() => undefined);
      if (shared && shared.until > Date.now()) {
        throw new LoginCooldownError(bucket.key, shared.until, new ClientError('ERR_UPSTREAM_LOGIN_FAILED', shared.message));
      }
    }
    try {
      return await loginWithRetry({
        strategy: this.#strategy,
        principal: bucket.principal,
        key: bucket.key,
        renewal,
        retry: only === undefined ? this.#retry : { ...this.#retry, attempts: only },
        firstAttempt,
        timeout: this.#timing.loginTimeout,
        signal: this.#abandon.signal,
        stopped: () => this.closed,
        stopError: () => new PoolClosedError(),
        counters: this.#counters,
        onFailed: (event) => this.emit('loginfailed', event),
        onOrphan: (session) => {
          this.#counters.created++;
          this.#logout(bucket, { session, generation: 0, permit: undefined, idleTimer: undefined }, 'orphan');
        },
      });
    } catch (error) {
      if (isRefused(error) && this.#timing.refusedCooldown > 0) {
        const until = Date.now() + this.#timing.refusedCooldown;
        bucket.cooldown = { until, cause: error };
        for (const waiter of bucket.waiters.splice(0)) waiter.fail(error);
        const message = error instanceof Error ? error.message : String(error);
        await coordinator?.setCooldown(names.cooldown(bucket.key), { until, message }).catch(() => undefined);
      }
      throw error;
    }
  }

  #lease(bucket: Bucket<P, S>, held: Held<S>): PoolLease<S> {
    bucket.leased++;
    const since = performance.now();
    let ended = false;
    const end = (outcome: ReleaseOutcome): void => {
      if (ended) throw new LeaseEndedError();
      ended = true;
      bucket.leased--;
      this.emit('release', { key: bucket.key, generation: held.generation, held: performance.now() - since, outcome });
    };
    const release = (): void => {
      end('release');
      this.#giveBack(bucket, held);
    };
    return {
      session: held.session,
      key: bucket.key,
      generation: held.generation,
      release,
      discard: () => {
        end('discard');
        this.#counters.finalized++;
        this.emit('expired', { key: bucket.key, generation: held.generation });
        if (!this.closed) {
          bucket.replacing.push(held.generation);
          // Only as many renewals as the cap can be pending; older ones are forgotten.
          if (bucket.replacing.length > this.max) bucket.replacing.shift();
        }
        this.#freePermit(bucket, held);
        this.#drop(bucket);
      },
      detach: () => {
        end('detach');
        const data = this.#strategy.serialize ? this.#strategy.serialize(held.session) : held.session;
        this.#counters.finalized++;
        this.#freePermit(bucket, held);
        this.#drop(bucket);
        return { type: DETACHED_SESSION_TYPE, version: 1, key: bucket.key, generation: held.generation, data };
      },
      [Symbol.dispose]: () => {
        if (!ended) release();
      },
    };
  }

  #giveBack(bucket: Bucket<P, S>, held: Held<S>): void {
    if (this.closed) return this.#retire(bucket, held, 'close');
    const waiter = bucket.waiters.shift();
    if (waiter) return waiter.grant(held);
    if (bucket.demanded) {
      bucket.demanded = false;
      return this.#retire(bucket, held, 'demand');
    }
    bucket.idle.push(held);
    if (this.#timing.idleTimeout !== Infinity) {
      held.idleTimer = setTimeout(() => {
        const index = bucket.idle.indexOf(held);
        if (index === -1) return;
        bucket.idle.splice(index, 1);
        held.idleTimer = undefined;
        this.#retire(bucket, held, 'idle');
      }, this.#timing.idleTimeout).unref();
    }
  }

  /** A session's place in the cap is free: let the first waiter create one. */
  #drop(bucket: Bucket<P, S>): void {
    bucket.count--;
    this.#total--;
    if (!this.closed && bucket.count < this.max) {
      const waiter = bucket.waiters.shift();
      if (waiter) {
        bucket.count++;
        this.#total++;
        waiter.grant(null);
      }
    }
    this.#forgetIfEmpty(bucket);
    if (this.#total === 0) this.#emptied?.();
  }

  /** Frees a session's place in the cluster-wide cap. */
  #freePermit(bucket: Bucket<P, S>, held: Held<S>): void {
    const permit = held.permit;
    held.permit = undefined;
    if (permit !== undefined) void this.#leases!.release(names.pool(bucket.key), permit).catch(() => undefined);
  }

  /** Logs a session out for good and frees its place. */
  #retire(bucket: Bucket<P, S>, held: Held<S>, reason: LogoutReason): void {
    this.#logout(bucket, held, reason);
    this.#drop(bucket);
  }

  /** Logs a session out (bounded by `logoutTimeout`), then frees its cluster-wide place; `close()` waits for it. */
  #logout(bucket: Bucket<P, S>, held: Held<S>, reason: LogoutReason): void {
    this.#counters.finalized++;
    const logout = (async () => {
      try {
        await logoutWithin(this.#strategy, held.session, bucket.principal, this.#timing.logoutTimeout);
        this.emit('logout', { key: bucket.key, generation: held.generation, reason });
      } catch (error) {
        this.emit('logout', { key: bucket.key, generation: held.generation, reason, error });
      }
      const permit = held.permit;
      held.permit = undefined;
      if (permit !== undefined) await this.#leases!.release(names.pool(bucket.key), permit).catch(() => undefined);
    })();
    this.#logouts.add(logout);
    void logout.then(() => this.#logouts.delete(logout));
  }
}
