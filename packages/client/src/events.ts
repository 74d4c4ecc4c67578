import type { StateChange } from './lifecycle.js';

/** A session was created by a login. @public */
export interface LoginEvent {
  /** The principal's key. */
  readonly key: string;
  /** The session's generation: 1 for the principal's first session, then 2, 3… */
  readonly generation: number;
  /** `true` when it replaces a session that expired. */
  readonly renewal: boolean;
  /** How many attempts this login took (1 when the first one succeeded). */
  readonly attempts: number;
}

/** A login attempt failed. @public */
export interface LoginFailedEvent {
  /** The principal's key. */
  readonly key: string;
  /** Which attempt failed (1 for the first). */
  readonly attempt: number;
  /** Why it failed. */
  readonly error: unknown;
  /** Whether another attempt follows (after a backoff delay). */
  readonly willRetry: boolean;
}

/** A session that expired was replaced by a new one. @public */
export interface RenewalEvent {
  /** The principal's key. */
  readonly key: string;
  /** The generation that expired. */
  readonly from: number;
  /** The generation that replaces it. */
  readonly to: number;
}

/** Work reported that a session expired; the keeper let it go. @public */
export interface ExpiredEvent {
  /** The principal's key. */
  readonly key: string;
  /** The generation that expired. */
  readonly generation: number;
}

/**
 * Why a session was logged out: `logout` (the app asked), `close`, `idle` (unused for
 * `idleTimeout`), `demand` (a pool let an idle session go for another process waiting for
 * a place in the cap), `orphan` (a login that finished after it was given up: timeout or
 * close).
 *
 * @public
 */
export type LogoutReason = 'logout' | 'close' | 'idle' | 'demand' | 'orphan';

/** A session was logged out. @public */
export interface LogoutEvent {
  /** The principal's key. */
  readonly key: string;
  /** The session's generation. */
  readonly generation: number;
  /** Why. */
  readonly reason: LogoutReason;
  /** Set when the strategy's `logout` failed; the session is let go all the same. */
  readonly error?: unknown;
}

/**
 * A caller got a session: a keeper's `run` starts its work, a pool lends a lease.
 *
 * @public
 */
export interface AcquireEvent {
  /** The principal's key. */
  readonly key: string;
  /** The session's generation. */
  readonly generation: number;
  /** How long the caller waited for the session (login, turn or free place), in milliseconds. */
  readonly waited: number;
}

/**
 * How a caller gave a session back: `release` (done with it), `expired` (its work saw the
 * session expire), `discard`, `detach` (pool leases).
 *
 * @public
 */
export type ReleaseOutcome = 'release' | 'expired' | 'discard' | 'detach';

/**
 * A caller gave a session back: a keeper's work ended, a pool lease was released,
 * discarded or detached.
 *
 * @public
 */
export interface ReleaseEvent {
  /** The principal's key. */
  readonly key: string;
  /** The session's generation. */
  readonly generation: number;
  /** How long the caller held it, in milliseconds. */
  readonly held: number;
  /** How it was given back. */
  readonly outcome: ReleaseOutcome;
}

/**
 * The events of {@link SessionKeeper} and {@link SessionPool}, one per login, failed
 * attempt, expiry, renewal, logout, acquire and release, for logging. Listeners run synchronously; keep
 * them quick.
 *
 * @public
 */
export interface ClientEvents {
  login: [event: LoginEvent];
  loginfailed: [event: LoginFailedEvent];
  expired: [event: ExpiredEvent];
  renewal: [event: RenewalEvent];
  logout: [event: LogoutEvent];
  acquire: [event: AcquireEvent];
  release: [event: ReleaseEvent];
}

/**
 * The keeper's events: {@link ClientEvents} and `statechange`, each change of a
 * principal's {@link SessionState}.
 *
 * @public
 */
export interface KeeperEvents extends ClientEvents {
  statechange: [change: StateChange];
}
