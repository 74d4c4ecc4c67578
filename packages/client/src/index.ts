/**
 * The client side of session policy: keep one upstream session per principal and share
 * it between concurrent callers (single-flight login, one re-login on expiry, backoff,
 * typed errors), or pool N sessions per principal; across processes with a coordinator;
 * lifecycle events and statistics; adapters for cookie and bearer-token upstreams over
 * `fetch`.
 *
 * @packageDocumentation
 */
export {
  ClientError,
  UpstreamLoginError,
  UpstreamUnavailableError,
  UpstreamResponseError,
  SessionExpiredError,
  KeeperClosedError,
  PoolClosedError,
  PoolTimeoutError,
  PoolFullError,
  InvalidDetachedSessionError,
  LeaseEndedError,
  LoginCooldownError,
  UpstreamTimeoutError,
  CoordinatorError,
  InvalidOptionError,
  InvalidPrincipalError,
  type ClientErrorCode,
} from './errors.js';
export { rejectUnknownOptions } from './unknown-options.js';
export { defaultPrincipalKey, type LoginContext, type LogoutContext, type SessionStrategy } from './strategy.js';
export type { SessionCoordinator, SharedSession, SharedCooldown } from './coordinator.js';
export { MemoryCoordinator } from './memory-coordinator.js';
export type { TimingOptions } from './timing.js';
export { Lifecycle, TRANSITIONS, type SessionState, type StateChange } from './lifecycle.js';
export type { RetryOptions } from './retry.js';
export type { ClientStats } from './stats.js';
export type {
  ClientEvents,
  KeeperEvents,
  LoginEvent,
  LoginFailedEvent,
  RenewalEvent,
  ExpiredEvent,
  LogoutEvent,
  LogoutReason,
  AcquireEvent,
  ReleaseEvent,
  ReleaseOutcome,
} from './events.js';
export { SessionKeeper, type SessionKeeperOptions, type RunOptions, type RunContext, type Work } from './keeper.js';
export { SessionPool, type SessionPoolOptions, type AcquireOptions, type PoolLease, type PoolSize } from './pool.js';
export { DETACHED_SESSION_TYPE, type DetachedSession } from './detached-session.js';
export type { FetchSession, FetchStrategyOptions } from './adapters/fetch-session.js';
export { cookieStrategy, type CookieStrategyOptions, type CookieSession } from './adapters/cookie.js';
export { bearerStrategy, type BearerStrategyOptions, type BearerSession } from './adapters/bearer.js';
