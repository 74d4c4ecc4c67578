import { EventEmitter, setMaxListeners } from 'node:events';
import { abortable } from './abortable.js';
import { names, waiter, type SessionCoordinator, type SharedSession } from './coordinator.js';
import { ClientError, CoordinatorError, InvalidOptionError, KeeperClosedError, LoginCooldownError, SessionExpiredError } from './errors.js';
import type { KeeperEvents, LogoutReason, ReleaseOutcome } from './events.js';
import { Leases } from './leases.js';
import { Lifecycle, type SessionState } from './lifecycle.js';
import { isRefused, loginWithRetry } from './login.js';
import { logoutWithin } from './logout.js';
import { resolveRetry, type ResolvedRetry, type RetryOptions } from './retry.js';
import { Semaphore } from './semaphore.js';
import { Counters, type ClientStats } from './stats.js';
import { defaultPrincipalKey, isSessionExpiredError, type SessionStrategy } from './strategy.js';
import { resolveTiming, settledWithin, type ResolvedTiming, type TimingOptions } from './timing.js';
import { TIMING_NAMES } from './option-names.js';
import { rejectUnknownOptions } from './unknown-options.js';

/**
 * Options of {@link SessionKeeper}.
 *
 * @typeParam P - the principal type.
 * @typeParam S - the session type.
 * @public
 */
export interface SessionKeeperOptions<P, S> extends TimingOptions {
  /** How to log in, tell expiry and log out. */
  readonly strategy: SessionStrategy<P, S>;
  /** How logins are retried after passing failures. See {@link RetryOptions}. */
  readonly retry?: RetryOptions;
  /**
   * The most work running at once per principal; further calls wait their turn, in
   * order. Default `Infinity` (the shared session is used by every caller at once).
   */
  readonly concurrency?: number;
  /**
   * Shares each principal's session with the other keepers using the same coordinator
   * (other processes, through `@session-policy/client-redis`): one upstream login per
   * principal among all of them, one re-login per expiry among all of them, refusals
   * cooled down for all of them. The strategy's `serialize`/`deserialize` carry the
   * session between processes. Without it (the default) the keeper coordinates its own
   * callers only: every process logs in on its own.
   */
  readonly coordinator?: SessionCoordinator;
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
  /** The login in flight replaces a session that expired. */
  renewing: boolean;
  generation: number;
  /** The generation that expired and is not replaced yet (0: none). */
  replacing: number;
  /** Work running now. */
  running: number;
  /** `run` calls inside the keeper for this principal (waiting or running). */
  users: number;
  /** Refused credentials: no login before `until`. */
  cooldown: { until: number; cause: unknown } | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  /** With a coordinator: this keeper's permit among the session's holders. */
  holder: string | undefined;
}

const KEEPER_NAMES = [
  ...Object.keys({ strategy: true, retry: true, concurrency: true, coordinator: true } satisfies Record<Exclude<keyof SessionKeeperOptions<unknown, unknown>, keyof TimingOptions>, true>),
  ...TIMING_NAMES,
];
const RUN_NAMES = Object.keys({ signal: true } satisfies Record<keyof RunOptions, true>);

/**
 * Keeps one upstream session per principal and shares it between every concurrent
 * caller: the answer to upstreams that allow one active session per user, where each
 * worker logging in on its own kills the others' requests.
 *
 * - Single-flight login: exactly one login in flight per principal; other callers wait
 *   for it and share its session. With a `coordinator`, across processes too.
 * - Re-login on expiry, once for everyone: a caller whose work reports expiry triggers a
 *   re-login only if the session it used is still the current one; otherwise it simply
 *   retries with the newer session. So a burst that hits an expired session makes one
 *   login, not one per caller, and callers never log each other out (no ping-pong).
 *   Work is retried once; if it reports expiry again the call fails with
 *   `ERR_UPSTREAM_SESSION_EXPIRED`.
 * - Passing login failures (a timed-out attempt is one) are retried with backoff, up to
 *   `retry.attempts` in a row; refused credentials (`ERR_UPSTREAM_LOGIN_FAILED`) are
 *   never retried and cool down (`ERR_UPSTREAM_LOGIN_COOLDOWN`) for `refusedCooldown`.
 * - Each principal's session has a {@link SessionState}, reported by `statechange`;
 *   `login`, `loginfailed`, `expired`, `renewal`, `logout`, `acquire` and `release`
 *   events are there for logging; {@link SessionKeeper.stats} counts them.
 * - {@link SessionKeeper.close} (or `await using`) waits for running work, lets a login
 *   in flight finish, and logs out every session it holds, each logout bounded by
 *   `logoutTimeout`.
 *
 * @example
 * ```ts
 * const keeper = new SessionKeeper({
 *   strategy: cookieStrategy({
 *     baseUrl: 'https://sso.example.edu',
 *     loginUrl: '/login',
 *     logoutUrl: '/logout',
 *     credentials: (user: string) => ({ username: user, password: passwords.get(user) }),
 *   }),
 * });
 * const card = await keeper.run('alice', async (session) => (await session.fetch('/card')).json());
 * await keeper.close();
 * ```
 * @typeParam P - the principal type.
 * @typeParam S - the session type.
 * @public
 */
export class SessionKeeper<P, S> extends EventEmitter<KeeperEvents> {
  readonly #strategy: SessionStrategy<P, S>;
  readonly #retry: ResolvedRetry;
  readonly #timing: ResolvedTiming;
  readonly #concurrency: number;
  readonly #coordinator: SessionCoordinator | undefined;
  readonly #leases: Leases | undefined;
  readonly #key: (principal: P) => string;
  readonly #isExpired: (error: unknown, session: S) => boolean;
  readonly #slots = new Map<string, Slot<P, S>>();
  readonly #counters = new Counters();
  /** Aborted by `close()`: every wait of a caller ends. */
  readonly #closing = new AbortController();
  /** Aborted when `close()` stops waiting for logins in flight. */
  readonly #abandon = new AbortController();
  readonly #logouts = new Set<Promise<void>>();
  #closed: Promise<void> | undefined;
  #calls = 0;
  #drained: (() => void) | undefined;

  /** @param options - see {@link SessionKeeperOptions}. */
  constructor(options: SessionKeeperOptions<P, S>) {
    super();
    const given = options ?? ({} as SessionKeeperOptions<P, S>);
    rejectUnknownOptions(given, KEEPER_NAMES, 'SessionKeeper');
    const { strategy, concurrency = Infinity, coordinator } = given;
    if (typeof strategy?.login !== 'function') throw new InvalidOptionError('strategy', 'must be an object with a login() function');
    if (!(concurrency === Infinity || (Number.isInteger(concurrency) && concurrency >= 1))) {
      throw new InvalidOptionError('concurrency', 'must be an integer of at least 1, or Infinity');
    }
    if (coordinator !== undefined && typeof coordinator?.acquirePermit !== 'function') {
      throw new InvalidOptionError('coordinator', 'must implement SessionCoordinator (a MemoryCoordinator, a RedisCoordinator…)');
    }
    // Every caller waiting for a login listens to these; there may be thousands.
    setMaxListeners(0, this.#closing.signal, this.#abandon.signal);
    this.#strategy = strategy;
    this.#retry = resolveRetry(options.retry, 'SessionKeeper');
    this.#timing = resolveTiming(options);
    this.#concurrency = concurrency;
    this.#coordinator = coordinator;
    this.#leases = coordinator ? new Leases(coordinator, this.#timing.lease) : undefined;
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
   *   {@link LoginCooldownError} while they cool down; {@link UpstreamUnavailableError}
   *   when logging in failed `retry.attempts` times; {@link SessionExpiredError} when the
   *   work reported expiry with the renewed session too; {@link CoordinatorError} when
   *   the coordinator failed; {@link KeeperClosedError} after `close()`; the signal's
   *   reason when aborted.
   */
  async run<T>(principal: P, work: Work<S, T>, options: RunOptions = {}): Promise<T> {
    if (this.closed) throw new KeeperClosedError();
    rejectUnknownOptions(options, RUN_NAMES, 'run()');
    const { signal } = options;
    signal?.throwIfAborted();
    const slot = this.#slot(principal);
    slot.users++;
    this.#calls++;
    const wait = signal ? AbortSignal.any([signal, this.#closing.signal]) : this.#closing.signal;
    try {
      const release = slot.limiter ? await slot.limiter.acquire(wait) : undefined;
      try {
        return await this.#attempt(slot, work, signal, wait);
      } finally {
        release?.();
      }
    } finally {
      slot.users--;
      this.#armIdle(slot);
      this.#forgetIfIdle(slot);
      if (--this.#calls === 0) this.#drained?.();
    }
  }

  /**
   * Logs the principal's session out now, if the keeper holds one (with a coordinator:
   * for every process, which will log in again when they need it). Work still running
   * with it will see it expire and use a new one.
   *
   * @param principal - whose session to end.
   * @returns whether there was a session to log out.
   */
  async logout(principal: P): Promise<boolean> {
    const slot = this.#slots.get(this.#key(principal));
    if (!slot?.current) return false;
    await this.#letGo(slot, 'logout', true);
    this.#forgetIfIdle(slot);
    return true;
  }

  /**
   * Ends the refused-credentials cooldown of the principal (in every process, with a
   * coordinator): the next call logs in again. Call it once the password is fixed.
   *
   * @param principal - whose cooldown to end.
   */
  async resetCooldown(principal: P): Promise<void> {
    const key = this.#key(principal);
    const slot = this.#slots.get(key);
    if (slot) {
      slot.cooldown = undefined;
      this.#forgetIfIdle(slot);
    }
    await this.#coordinator?.setCooldown(names.cooldown(key), undefined);
  }

  /**
   * Closes the keeper: new calls and calls waiting for a login or a turn fail with
   * `ERR_KEEPER_CLOSED`; running work is waited for; a login in flight is let finish
   * (for at most `logoutTimeout`) so that its session can be logged out rather than left
   * alive upstream; then every session held is logged out, each logout bounded by
   * `logoutTimeout`. With a coordinator, a session other processes still hold is left to
   * them. Calling it again returns the same promise.
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
        clearTimeout(slot.idleTimer);
        if (slot.pending && !(await settledWithin(slot.pending, this.#timing.logoutTimeout))) {
          // Its session, if it comes, is an orphan: logged out as soon as it arrives.
          this.#abandon.abort(new KeeperClosedError());
        }
        await this.#letGo(slot, 'close', false);
      }),
    );
    await Promise.all(this.#logouts);
    this.#leases?.stop();
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
      renewing: false,
      generation: 0,
      replacing: 0,
      running: 0,
      users: 0,
      cooldown: undefined,
      idleTimer: undefined,
      holder: undefined,
    };
    this.#slots.set(key, slot);
    return slot;
  }

  #forgetIfIdle(slot: Slot<P, S>): void {
    const cooling = slot.cooldown !== undefined && slot.cooldown.until > Date.now();
    if (slot.users === 0 && !slot.current && !slot.pending && !cooling && !slot.holder && this.#slots.get(slot.key) === slot) {
      this.#slots.delete(slot.key);
    }
  }

  /**
   * The one place the state changes: it is derived from what the slot holds, so it can
   * never disagree with it (a rival login, work of an older session still running…).
   */
  #sync(slot: Slot<P, S>): void {
    const state: SessionState = slot.pending
      ? slot.renewing
        ? 'reconnecting'
        : 'authenticating'
      : slot.current
        ? slot.running > 0
          ? 'executing'
          : 'connected'
        : 'disconnected';
    slot.lifecycle.to(state);
  }

  async #attempt<T>(slot: Slot<P, S>, work: Work<S, T>, signal: AbortSignal | undefined, wait: AbortSignal): Promise<T> {
    const started = performance.now();
    let held = slot.current ?? (await this.#session(slot, wait));
    try {
      return await this.#execute(slot, held, work, signal, 1, started);
    } catch (error) {
      if (!this.#isExpired(error, held.session)) throw error;
      this.#expired(slot, held, true);
    }
    held = slot.current ?? (await this.#session(slot, wait));
    try {
      return await this.#execute(slot, held, work, signal, 2, started);
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

  async #execute<T>(slot: Slot<P, S>, held: Held<S>, work: Work<S, T>, signal: AbortSignal | undefined, attempt: number, started: number): Promise<T> {
    slot.running++;
    clearTimeout(slot.idleTimer);
    this.#sync(slot);
    const begun = performance.now();
    this.emit('acquire', { key: slot.key, generation: held.generation, waited: begun - started });
    let outcome: ReleaseOutcome = 'release';
    try {
      return await work(held.session, { generation: held.generation, attempt, signal });
    } catch (error) {
      if (this.#isExpired(error, held.session)) outcome = 'expired';
      throw error;
    } finally {
      slot.running--;
      this.#sync(slot);
      this.emit('release', { key: slot.key, generation: held.generation, held: performance.now() - begun, outcome });
    }
  }

  #session(slot: Slot<P, S>, wait: AbortSignal): Promise<Held<S>> {
    if (this.closed) return Promise.reject(new KeeperClosedError());
    // With a coordinator the cooldown is the shared one, looked up by the shared login
    // (another process may have reset it).
    if (slot.cooldown && !this.#coordinator) {
      if (slot.cooldown.until > Date.now()) return Promise.reject(new LoginCooldownError(slot.key, slot.cooldown.until, slot.cooldown.cause));
      slot.cooldown = undefined;
    }
    if (!slot.pending) this.#login(slot);
    return abortable(slot.pending!, wait);
  }

  /** The session `held` expired: let it go, unless a newer one already replaced it. */
  #expired(slot: Slot<P, S>, held: Held<S>, renew: boolean): void {
    if (slot.current !== held) return;
    slot.current = undefined;
    slot.replacing = held.generation;
    this.#counters.finalized++;
    this.emit('expired', { key: slot.key, generation: held.generation });
    if (renew && !this.closed && !slot.pending) this.#login(slot);
    this.#sync(slot);
  }

  /** Starts the principal's one login in flight. */
  #login(slot: Slot<P, S>): void {
    const renewal = slot.replacing !== 0;
    const pending = this.#loginNow(slot, renewal).then(
      (held) => {
        slot.pending = undefined;
        slot.replacing = 0;
        slot.current = held;
        this.#sync(slot);
        this.#armIdle(slot);
        return held;
      },
      (error: unknown) => {
        slot.pending = undefined;
        this.#sync(slot);
        this.#forgetIfIdle(slot);
        throw error;
      },
    );
    // Nobody may be left waiting (every caller aborted): the failure is theirs, not a crash.
    pending.catch(() => undefined);
    slot.pending = pending;
    slot.renewing = renewal;
    this.#sync(slot);
  }

  async #loginNow(slot: Slot<P, S>, renewal: boolean): Promise<Held<S>> {
    if (this.#coordinator) return this.#sharedLogin(slot, renewal, this.#coordinator);
    const { session, attempts } = await this.#upstreamLogin(slot, renewal);
    return this.#made(slot, session, ++slot.generation, renewal, attempts);
  }

  /** Logs in upstream (with retries); a refusal starts the cooldown. */
  async #upstreamLogin(slot: Slot<P, S>, renewal: boolean): Promise<{ session: S; attempts: number }> {
    try {
      return await loginWithRetry({
        strategy: this.#strategy,
        principal: slot.principal,
        key: slot.key,
        renewal,
        retry: this.#retry,
        timeout: this.#timing.loginTimeout,
        signal: this.#abandon.signal,
        stopped: () => this.closed,
        stopError: () => new KeeperClosedError(),
        counters: this.#counters,
        onFailed: (event) => this.emit('loginfailed', event),
        onOrphan: (session) => this.#orphan(slot, session),
      });
    } catch (error) {
      if (isRefused(error) && this.#timing.refusedCooldown > 0) {
        slot.cooldown = { until: Date.now() + this.#timing.refusedCooldown, cause: error };
      }
      throw error;
    }
  }

  /**
   * The login, shared with the other keepers of the coordinator: adopt the shared session
   * if it is newer than the one that expired; else take the login lock, look again, log in
   * and publish the session as the next generation (compare-and-set); else wait for the
   * lock's holder to publish (or its lease to run out) and look again.
   */
  async #sharedLogin(slot: Slot<P, S>, renewal: boolean, coordinator: SessionCoordinator): Promise<Held<S>> {
    const sessionName = names.session(slot.key);
    const lockName = names.lock(slot.key);
    const leases = this.#leases!;
    const newer = (shared: SharedSession | undefined): boolean => shared?.data !== undefined && shared.generation > slot.replacing;
    try {
      for (;;) {
        if (this.closed) throw new KeeperClosedError();
        const lockReleased = waiter(coordinator, lockName);
        lockReleased.arm();
        const shared = await coordinator.read(sessionName);
        if (newer(shared)) return await this.#adopt(slot, shared!);
        const cooldown = await coordinator.cooldown(names.cooldown(slot.key));
        if (cooldown && cooldown.until > Date.now()) {
          const cause = new ClientError('ERR_UPSTREAM_LOGIN_FAILED', cooldown.message);
          slot.cooldown = { until: cooldown.until, cause };
          throw new LoginCooldownError(slot.key, cooldown.until, cause);
        }
        const lock = await leases.acquire(lockName, 1);
        if (lock === undefined) {
          // Another process logs in: wait for its result (or for its lease to run out).
          await lockReleased.wait(this.#timing.lease, this.#closing.signal);
          continue;
        }
        lockReleased.disarm();
        try {
          const again = await coordinator.read(sessionName);
          if (newer(again)) return await this.#adopt(slot, again!);
          let made: { session: S; attempts: number };
          try {
            made = await this.#upstreamLogin(slot, renewal);
          } catch (error) {
            if (isRefused(error) && slot.cooldown) {
              const message = error instanceof Error ? error.message : String(error);
              await coordinator.setCooldown(names.cooldown(slot.key), { until: slot.cooldown.until, message });
            }
            throw error;
          }
          const data = this.#strategy.serialize ? this.#strategy.serialize(made.session) : made.session;
          let expected = again?.generation ?? 0;
          let written = await coordinator.write(sessionName, expected, data);
          while (!written.stored) {
            // Someone wrote while our lease had run out; ours is the newest login upstream.
            expected = written.generation;
            written = await coordinator.write(sessionName, expected, data);
          }
          await this.#hold(slot);
          return this.#made(slot, made.session, written.generation, renewal, made.attempts);
        } finally {
          await leases.release(lockName, lock).catch(() => undefined);
        }
      }
    } catch (error) {
      if (error instanceof ClientError || isRefused(error) || error === this.#abandon.signal.reason) throw error;
      throw new CoordinatorError(`Sharing the session of "${slot.key}" failed`, error);
    }
  }

  /** Takes a session logged in by another process. */
  async #adopt(slot: Slot<P, S>, shared: SharedSession): Promise<Held<S>> {
    const session = this.#strategy.deserialize ? this.#strategy.deserialize(shared.data, slot.principal) : (shared.data as S);
    await this.#hold(slot);
    this.#counters.adopted++;
    if (slot.replacing !== 0) this.emit('renewal', { key: slot.key, from: slot.replacing, to: shared.generation });
    return { session, generation: shared.generation };
  }

  /** Joins the holders of the principal's shared session (once). */
  async #hold(slot: Slot<P, S>): Promise<void> {
    if (slot.holder === undefined) slot.holder = await this.#leases!.acquire(names.holders(slot.key), Number.MAX_SAFE_INTEGER);
  }

  #made(slot: Slot<P, S>, session: S, generation: number, renewal: boolean, attempts: number): Held<S> {
    const held: Held<S> = { session, generation };
    this.#counters.created++;
    if (renewal) this.#counters.renewals++;
    this.emit('login', { key: slot.key, generation, renewal, attempts });
    if (renewal) this.emit('renewal', { key: slot.key, from: slot.replacing, to: generation });
    return held;
  }

  /** Logs out idle sessions once they were unused for `idleTimeout`. */
  #armIdle(slot: Slot<P, S>): void {
    if (this.#timing.idleTimeout === Infinity || this.closed) return;
    clearTimeout(slot.idleTimer);
    if (!slot.current || slot.running > 0 || slot.users > 0) return;
    slot.idleTimer = setTimeout(() => {
      if (slot.current && slot.running === 0 && slot.users === 0 && !slot.pending && !this.closed) {
        void this.#letGo(slot, 'idle', false).then(() => this.#forgetIfIdle(slot));
      }
    }, this.#timing.idleTimeout).unref();
  }

  /**
   * Lets the principal's session go: logs it out, unless (with a coordinator, and not
   * `everywhere`) other processes still hold it.
   */
  async #letGo(slot: Slot<P, S>, reason: LogoutReason, everywhere: boolean): Promise<void> {
    const held = slot.current;
    slot.current = undefined;
    this.#sync(slot);
    const holder = slot.holder;
    slot.holder = undefined;
    if (!held) {
      if (holder !== undefined) await this.#leases!.release(names.holders(slot.key), holder).catch(() => undefined);
      return;
    }
    if (this.#coordinator && holder !== undefined) {
      const left = await this.#leases!.release(names.holders(slot.key), holder).catch(() => 0);
      if (left > 0 && !everywhere) {
        this.#counters.finalized++;
        return;
      }
      await this.#coordinator.remove(names.session(slot.key), held.generation).catch(() => undefined);
    }
    await this.#logout(slot, held, reason);
  }

  /** A login finished after it was given up: log its session out. */
  #orphan(slot: Slot<P, S>, session: S): void {
    this.#counters.created++;
    const logout = this.#logout(slot, { session, generation: 0 }, 'orphan');
    this.#logouts.add(logout);
    void logout.then(() => this.#logouts.delete(logout));
  }

  async #logout(slot: Slot<P, S>, held: Held<S>, reason: LogoutReason): Promise<void> {
    this.#counters.finalized++;
    try {
      await logoutWithin(this.#strategy, held.session, slot.principal, this.#timing.logoutTimeout);
      this.emit('logout', { key: slot.key, generation: held.generation, reason });
    } catch (error) {
      this.emit('logout', { key: slot.key, generation: held.generation, reason, error });
    }
  }
}
