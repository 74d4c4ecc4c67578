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

/** A session was logged out (by `logout`, `close`, or a pool discarding it). @public */
export interface LogoutEvent {
  /** The principal's key. */
  readonly key: string;
  /** The session's generation. */
  readonly generation: number;
  /** Set when the strategy's `logout` failed; the session is let go all the same. */
  readonly error?: unknown;
}

/**
 * The events of {@link SessionKeeper} and {@link SessionPool}, one per login, failed
 * attempt, expiry, renewal and logout, for logging. Listeners run synchronously; keep
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
