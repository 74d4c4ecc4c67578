import { EventEmitter } from 'node:events';
import { InvalidOptionError } from '@session-policy/core';
import { abortable } from './abortable.js';
import { KeeperClosedError, SessionExpiredError } from './errors.js';
import type { KeeperEvents } from './events.js';
import { Lifecycle, type SessionState } from './lifecycle.js';
import { loginWithRetry } from './login.js';
import { resolveRetry, type ResolvedRetry, type RetryOptions } from './retry.js';
import { Semaphore } from './semaphore.js';
import { Counters, type ClientStats } from './stats.js';
import { defaultPrincipalKey, isSessionExpiredError, type SessionStrategy } from './strategy.js';

/**
 * Options of {@link SessionKeeper}.
 *
 * @typeParam P - the principal type.
 * @typeParam S - the session type.
 * @public
 */
export interface SessionKeeperOptions<P, S> {
  /** How to log in, tell expiry and log out. */
  readonly strategy: SessionStrategy<P, S>;
  /** How logins are retried after passing failures. See {@link RetryOptions}. */
  readonly retry?: RetryOptions;
  /**
   * The most work running at once per principal; further calls wait their turn, in
   * order. Default `Infinity` (the shared session is used by every caller at once).
   */
  readonly concurrency?: number;
}

/**
 * Options of one {@link SessionKeeper.run} call.
 *
 * @public
 */
export interface RunOptions {
  /**
   * Cancels this call: its wait for a login or a turn ends with the signal's reason, and
   * work receives the signal to pass on. A login shared with other callers goes on.
   */
  readonly signal?: AbortSignal;
}

/**
 * What work is told besides the session.
 *
 * @public
 */
export interface RunContext {
  /** The session's generation (1 for the principal's first session, then 2, 3…). */
  readonly generation: number;
  /** 1 for the first try, 2 for the retry after a re-login. */
  readonly attempt: number;
  /** The caller's signal, if any. */
  readonly signal: AbortSignal | undefined;
}

/**
 * Work done with a session. Throw {@link SessionExpiredError} (the fetch adapters do) or
 * anything the strategy's `isExpired` recognizes to ask for a re-login and one retry.
 *
 * @public
 */
export type Work<S, T> = (session: S, context: RunContext) => T | Promise<T>;

interface Held<S> {
  readonly session: S;
  readonly generation: number;
}

interface Slot<P, S> {
  readonly key: string;
  principal: P;
  readonly lifecycle: Lifecycle;
  readonly limiter: Semaphore | undefined;
  current: Held<S> | undefined;
  pending: Promise<Held<S>> | undefined;
  generation: number;
  /** The generation that expired and is not replaced yet (0: none). */
  replacing: number;
  /** Work running now. */
  running: number;
  /** `run` calls inside the keeper for this principal (waiting or running). */
  users: number;
}

/**
 * Keeps one upstream session per principal and shares it between every concurrent
 * caller: the answer to upstreams that allow one active session per user, where each
 * worker logging in on its own kills the others' requests.
 *
 * - Single-flight login: exactly one login in flight per principal; other callers wait
 *   for it and share its session.
 * - Re-login on expiry, once for everyone: a caller whose work reports expiry triggers a
 *   re-login only if the session it used is still the current one; otherwise it simply
 *   retries with the newer session. So a burst that hits an expired session makes one
 *   login, not one per caller, and callers never log each other out (no ping-pong).
 *   Work is retried once; if it reports expiry again the call fails with
 *   `ERR_UPSTREAM_SESSION_EXPIRED`.
 * - Passing login failures are retried with backoff, up to `retry.attempts` in a row;
 *   refused credentials (`ERR_UPSTREAM_LOGIN_FAILED`) are never retried.
 * - Each principal's session has a {@link SessionState}, reported by `statechange`;
 *   `login`, `loginfailed`, `expired`, `renewal` and `logout` events are there for
 *   logging; {@link SessionKeeper.stats} counts them.
 * - {@link SessionKeeper.close} (or `await using`) waits for running work and logs out
 *   every session it holds.
 *
 * @example
 * ```ts
 * const keeper = new SessionKeeper({
 *   strategy: cookieStrategy({
 *     loginUrl: 'https://sso.example.edu/login',
 *     credentials: (user: string) => ({ username: user, password: passwords.get(user) }),
 *   }),
 * });
 * const card = await keeper.run('alice', async (session) => (await session.fetch('/card')).json());
 * ```
 * @typeParam P - the principal type.
 * @typeParam S - the session type.
 * @public
 */
export class SessionKeeper<P, S> extends EventEmitter<KeeperEvents> {
  readonly #strategy: SessionStrategy<P, S>;
  readonly #retry: ResolvedRetry;
  readonly #concurrency: number;
  readonly #key: (principal: P) => string;
  readonly #isExpired: (error: unknown, session: S) => boolean;
  readonly #slots = new Map<string, Slot<P, S>>();
  readonly #counters = new Counters();
  readonly #closing = new AbortController();
  #closed: Promise<void> | undefined;
  #calls = 0;
  #drained: (() => void) | undefined;

  /** @param options - see {@link SessionKeeperOptions}. */
  constructor(options: SessionKeeperOptions<P, S>) {
    super();
    const { strategy, concurrency = Infinity } = options ?? ({} as SessionKeeperOptions<P, S>);
    if (typeof strategy?.login !== 'function') throw new InvalidOptionError('strategy', 'must be an object with a login() function');
    if (!(concurrency === Infinity || (Number.isInteger(concurrency) && concurrency >= 1))) {
      throw new InvalidOptionError('concurrency', 'must be an integer of at least 1, or Infinity');
    }
    this.#strategy = strategy;
    this.#retry = resolveRetry(options.retry);
    this.#concurrency = concurrency;
    this.#key = strategy.key ? (principal) => strategy.key!(principal) : defaultPrincipalKey;
    this.#isExpired = strategy.isExpired ? (error, session) => strategy.isExpired!(error, session) : isSessionExpiredError;
  }

  /** Whether {@link SessionKeeper.close} was called. */
  get closed(): boolean {
    return this.#closing.signal.aborted;
  }

  /**
   * The state of the principal's session; `disconnected` for a principal the keeper
   * holds nothing for.
   *
   * @param principal - the principal.
   */
  state(principal: P): SessionState {
    return this.#slots.get(this.#key(principal))?.lifecycle.state ?? 'disconnected';
  }

  /** Counters since the keeper was created. See {@link ClientStats}. */
  stats(): ClientStats {
    return this.#counters.snapshot();
  }

  /**
   * Runs `work` with the principal's shared session, logging in first if needed (one
   * login for all concurrent callers). If the work reports that the session expired, the
   * keeper logs in again (once for all callers that used that session) and runs the work
   * once more with the new session.
   *
   * @param principal - whom to act as.
   * @param work - the work; its result is returned, its errors are thrown (after at most
   *   one retry for expiry).
   * @param options - see {@link RunOptions}.
   * @throws {@link UpstreamLoginError} when the credentials are refused (no retry);
   *   {@link UpstreamUnavailableError} when logging in failed `retry.attempts` times;
   *   {@link SessionExpiredError} when the work reported expiry with the renewed session
   *   too; {@link KeeperClosedError} after `close()`; the signal's reason when aborted.
   */
  async run<T>(principal: P, work: Work<S, T>, options: RunOptions = {}): Promise<T> {
    if (this.closed) throw new KeeperClosedError();
    const { signal } = options;
    signal?.throwIfAborted();
    const slot = this.#slot(principal);
    slot.users++;
    this.#calls++;
    try {
      const release = slot.limiter ? await slot.limiter.acquire(signal) : undefined;
      try {
        return await this.#attempt(slot, work, signal);
      } finally {
        release?.();
      }
    } finally {
      slot.users--;
      this.#forgetIfIdle(slot);
      if (--this.#calls === 0) this.#drained?.();
    }
  }

  /**
   * Logs the principal's session out now, if the keeper holds one. Work still running
   * with it will see it expire and use a new one.
   *
   * @param principal - whose session to end.
   * @returns whether there was a session to log out.
   */
  async logout(principal: P): Promise<boolean> {
    const slot = this.#slots.get(this.#key(principal));
    const held = slot?.current;
    if (!slot || !held) return false;
    slot.current = undefined;
    slot.lifecycle.to('disconnected');
    await this.#logout(slot, held);
    this.#forgetIfIdle(slot);
    return true;
  }

  /**
   * Closes the keeper: new calls fail with `ERR_KEEPER_CLOSED`, logins in flight are
   * abandoned (their waiting callers fail the same way), running work is waited for, then
   * every session held is logged out. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  /** Same as {@link SessionKeeper.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(): Promise<void> {
    this.#closing.abort(new KeeperClosedError());
    if (this.#calls > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    const slots = [...this.#slots.values()];
    this.#slots.clear();
    await Promise.all(
      slots.map(async (slot) => {
        const held = slot.current;
        if (!held) return;
        slot.current = undefined;
        slot.lifecycle.to('disconnected');
        await this.#logout(slot, held);
      }),
    );
  }

  #slot(principal: P): Slot<P, S> {
    const key = this.#key(principal);
    let slot = this.#slots.get(key);
    if (slot) {
      // The latest caller's principal logs in next, so a changed password is picked up.
      slot.principal = principal;
      return slot;
    }
    slot = {
      key,
      principal,
      lifecycle: new Lifecycle(key, (change) => this.emit('statechange', change)),
      limiter: this.#concurrency === Infinity ? undefined : new Semaphore(this.#concurrency),
      current: undefined,
      pending: undefined,
      generation: 0,
      replacing: 0,
      running: 0,
      users: 0,
    };
    this.#slots.set(key, slot);
    return slot;
  }

  #forgetIfIdle(slot: Slot<P, S>): void {
    if (slot.users === 0 && !slot.current && !slot.pending && this.#slots.get(slot.key) === slot) this.#slots.delete(slot.key);
  }

  async #attempt<T>(slot: Slot<P, S>, work: Work<S, T>, signal: AbortSignal | undefined): Promise<T> {
    let held = slot.current ?? (await this.#session(slot, signal));
    try {
      return await this.#execute(slot, held, work, signal, 1);
    } catch (error) {
      if (!this.#isExpired(error, held.session)) throw error;
      this.#expired(slot, held, true);
    }
    held = slot.current ?? (await this.#session(slot, signal));
    try {
      return await this.#execute(slot, held, work, signal, 2);
    } catch (error) {
      if (!this.#isExpired(error, held.session)) throw error;
      // A second expiry in a row means something else keeps ending our sessions; logging
      // in again right away would only fight it, so the call fails and the next one
      // starts afresh.
      this.#expired(slot, held, false);
      if (error instanceof SessionExpiredError) throw error;
      throw new SessionExpiredError('The upstream session expired again right after a re-login', undefined, { cause: error });
    }
  }

  async #execute<T>(slot: Slot<P, S>, held: Held<S>, work: Work<S, T>, signal: AbortSignal | undefined, attempt: number): Promise<T> {
    slot.running++;
    if (slot.lifecycle.state === 'connected') slot.lifecycle.to('executing');
    try {
      return await work(held.session, { generation: held.generation, attempt, signal });
    } finally {
      slot.running--;
      if (slot.running === 0 && slot.lifecycle.state === 'executing') slot.lifecycle.to('connected');
    }
  }

  #session(slot: Slot<P, S>, signal: AbortSignal | undefined): Promise<Held<S>> {
    if (this.closed) return Promise.reject(new KeeperClosedError());
    if (!slot.pending) this.#login(slot);
    return abortable(slot.pending!, signal);
  }

  /** The session `held` expired: let it go, unless a newer one already replaced it. */
  #expired(slot: Slot<P, S>, held: Held<S>, renew: boolean): void {
    if (slot.current !== held) return;
    slot.current = undefined;
    slot.replacing = held.generation;
    this.#counters.finalized++;
    this.emit('expired', { key: slot.key, generation: held.generation });
    if (renew && !this.closed) this.#login(slot);
    else slot.lifecycle.to('disconnected');
  }

  /** Starts the principal's one login in flight. */
  #login(slot: Slot<P, S>): void {
    const renewal = slot.replacing !== 0;
    slot.lifecycle.to(slot.lifecycle.state === 'disconnected' ? 'authenticating' : 'reconnecting');
    const pending = this.#loginNow(slot, renewal);
    slot.pending = pending;
    const settle = (): void => {
      if (slot.pending === pending) slot.pending = undefined;
    };
    pending.then(settle, settle);
  }

  async #loginNow(slot: Slot<P, S>, renewal: boolean): Promise<Held<S>> {
    let result: { session: S; attempts: number };
    try {
      result = await loginWithRetry({
        strategy: this.#strategy,
        principal: slot.principal,
        key: slot.key,
        renewal,
        retry: this.#retry,
        signal: this.#closing.signal,
        counters: this.#counters,
        onFailed: (event) => this.emit('loginfailed', event),
      });
    } catch (error) {
      slot.lifecycle.to('disconnected');
      throw error;
    }
    const held: Held<S> = { session: result.session, generation: ++slot.generation };
    this.#counters.created++;
    if (renewal) this.#counters.renewals++;
    this.emit('login', { key: slot.key, generation: held.generation, renewal, attempts: result.attempts });
    if (renewal) this.emit('renewal', { key: slot.key, from: slot.replacing, to: held.generation });
    slot.replacing = 0;
    if (this.closed) {
      // The strategy finished its login after close(): nobody will use this session.
      slot.lifecycle.to('disconnected');
      await this.#logout(slot, held);
      throw new KeeperClosedError();
    }
    slot.current = held;
    slot.lifecycle.to(slot.running > 0 ? 'executing' : 'connected');
    return held;
  }

  async #logout(slot: Slot<P, S>, held: Held<S>): Promise<void> {
    this.#counters.finalized++;
    try {
      await this.#strategy.logout?.(held.session, slot.principal);
      this.emit('logout', { key: slot.key, generation: held.generation });
    } catch (error) {
      this.emit('logout', { key: slot.key, generation: held.generation, error });
    }
  }
}
