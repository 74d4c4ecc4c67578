import { EventEmitter } from 'node:events';
import { InvalidOptionError } from '@session-policy/core';
import { assertDetachedSession, DETACHED_SESSION_TYPE, type DetachedSession } from './detached-session.js';
import { InvalidDetachedSessionError, LeaseEndedError, PoolClosedError, PoolFullError, PoolTimeoutError, SessionExpiredError } from './errors.js';
import type { ClientEvents } from './events.js';
import type { RunContext, Work } from './keeper.js';
import { loginWithRetry } from './login.js';
import { resolveRetry, type ResolvedRetry, type RetryOptions } from './retry.js';
import { Counters, type ClientStats } from './stats.js';
import { defaultPrincipalKey, isSessionExpiredError, type SessionStrategy } from './strategy.js';

/**
 * Options of {@link SessionPool}.
 *
 * @typeParam P - the principal type.
 * @typeParam S - the session type.
 * @public
 */
export interface SessionPoolOptions<P, S> {
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
}

/**
 * A pool of upstream sessions per principal, for upstreams that allow N active sessions
 * per user: up to `max` sessions per principal are created on demand (one login each),
 * lent to one caller at a time and reused; callers beyond the cap wait in order, with a
 * timeout. A session can be detached to a serializable form and attached to a pool in
 * another process. Events and stats as for {@link SessionKeeper}.
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
  readonly #acquireTimeout: number;
  readonly #key: (principal: P) => string;
  readonly #isExpired: (error: unknown, session: S) => boolean;
  readonly #buckets = new Map<string, Bucket<P, S>>();
  readonly #counters = new Counters();
  readonly #closing = new AbortController();
  readonly #logouts = new Set<Promise<void>>();
  #total = 0;
  #closed: Promise<void> | undefined;
  #emptied: (() => void) | undefined;

  /** @param options - see {@link SessionPoolOptions}. */
  constructor(options: SessionPoolOptions<P, S>) {
    super();
    const { strategy, max, acquireTimeout = Infinity } = options ?? ({} as SessionPoolOptions<P, S>);
    if (typeof strategy?.login !== 'function') throw new InvalidOptionError('strategy', 'must be an object with a login() function');
    if (!Number.isInteger(max) || max < 1) throw new InvalidOptionError('max', 'must be an integer of at least 1');
    if (!(acquireTimeout > 0)) throw new InvalidOptionError('acquireTimeout', 'must be a number of milliseconds > 0, or Infinity');
    this.max = max;
    this.#strategy = strategy;
    this.#retry = resolveRetry(options.retry);
    this.#acquireTimeout = acquireTimeout;
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
   *   {@link SessionKeeper.run}; the signal's reason when aborted.
   */
  async acquire(principal: P, options: AcquireOptions = {}): Promise<PoolLease<S>> {
    if (this.closed) throw new PoolClosedError();
    const { signal, timeout = this.#acquireTimeout } = options;
    signal?.throwIfAborted();
    const bucket = this.#bucket(principal);
    let held: Held<S> | null;
    if (bucket.idle.length > 0) held = bucket.idle.pop()!;
    else if (bucket.count < this.max) {
      bucket.count++;
      this.#total++;
      held = null;
    } else held = await this.#wait(bucket, signal, timeout);
    if (held === null) {
      try {
        held = await this.#create(bucket);
      } catch (error) {
        this.#drop(bucket);
        throw error;
      }
    }
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
   * to the caller; it counts towards the principal's cap from now on.
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
    return this.#lease(bucket, { session, generation: ++bucket.generation });
  }

  /**
   * Closes the pool: waiting callers fail with `ERR_POOL_CLOSED`, idle sessions are logged
   * out, leased ones are logged out when released (and waited for), logins in flight are
   * abandoned. Calling it again returns the same promise.
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
      for (const held of bucket.idle.splice(0)) this.#retire(bucket, held);
    }
    if (this.#total > 0) await new Promise<void>((resolve) => (this.#emptied = resolve));
    await Promise.all(this.#logouts);
    this.#buckets.clear();
  }

  #bucket(principal: P): Bucket<P, S> {
    const key = this.#key(principal);
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = { key, principal, idle: [], waiters: [], count: 0, leased: 0, generation: 0, replacing: [] };
      this.#buckets.set(key, bucket);
    } else bucket.principal = principal;
    return bucket;
  }

  #forgetIfEmpty(bucket: Bucket<P, S>): void {
    if (bucket.count === 0 && bucket.waiters.length === 0 && bucket.replacing.length === 0) this.#buckets.delete(bucket.key);
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

  async #create(bucket: Bucket<P, S>): Promise<Held<S>> {
    const replaces = bucket.replacing.shift();
    const renewal = replaces !== undefined;
    const { session, attempts } = await loginWithRetry({
      strategy: this.#strategy,
      principal: bucket.principal,
      key: bucket.key,
      renewal,
      retry: this.#retry,
      signal: this.#closing.signal,
      counters: this.#counters,
      onFailed: (event) => this.emit('loginfailed', event),
    });
    const held: Held<S> = { session, generation: ++bucket.generation };
    this.#counters.created++;
    if (renewal) this.#counters.renewals++;
    this.emit('login', { key: bucket.key, generation: held.generation, renewal, attempts });
    if (renewal) this.emit('renewal', { key: bucket.key, from: replaces, to: held.generation });
    if (this.closed) {
      // Created after close(): log it out rather than lend it (acquire frees its place).
      this.#logout(bucket, held);
      throw new PoolClosedError();
    }
    return held;
  }

  #lease(bucket: Bucket<P, S>, held: Held<S>): PoolLease<S> {
    bucket.leased++;
    let ended = false;
    const end = (): void => {
      if (ended) throw new LeaseEndedError();
      ended = true;
      bucket.leased--;
    };
    const release = (): void => {
      end();
      this.#giveBack(bucket, held);
    };
    return {
      session: held.session,
      key: bucket.key,
      generation: held.generation,
      release,
      discard: () => {
        end();
        this.#counters.finalized++;
        this.emit('expired', { key: bucket.key, generation: held.generation });
        if (!this.closed) {
          bucket.replacing.push(held.generation);
          // Only as many renewals as the cap can be pending; older ones are forgotten.
          if (bucket.replacing.length > this.max) bucket.replacing.shift();
        }
        this.#drop(bucket);
      },
      detach: () => {
        end();
        const data = this.#strategy.serialize ? this.#strategy.serialize(held.session) : held.session;
        this.#counters.finalized++;
        this.#drop(bucket);
        return { type: DETACHED_SESSION_TYPE, version: 1, key: bucket.key, generation: held.generation, data };
      },
      [Symbol.dispose]: () => {
        if (!ended) release();
      },
    };
  }

  #giveBack(bucket: Bucket<P, S>, held: Held<S>): void {
    if (this.closed) return this.#retire(bucket, held);
    const waiter = bucket.waiters.shift();
    if (waiter) waiter.grant(held);
    else bucket.idle.push(held);
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

  /** Logs a session out for good (after close) and frees its place. */
  #retire(bucket: Bucket<P, S>, held: Held<S>): void {
    this.#logout(bucket, held);
    this.#drop(bucket);
  }

  /** Logs a session out; `close()` waits for it. */
  #logout(bucket: Bucket<P, S>, held: Held<S>): void {
    this.#counters.finalized++;
    const logout = (async () => {
      try {
        await this.#strategy.logout?.(held.session, bucket.principal);
        this.emit('logout', { key: bucket.key, generation: held.generation });
      } catch (error) {
        this.emit('logout', { key: bucket.key, generation: held.generation, error });
      }
    })();
    this.#logouts.add(logout);
    void logout.then(() => this.#logouts.delete(logout));
  }
}
