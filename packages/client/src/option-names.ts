import type { FetchStrategyOptions } from './adapters/fetch-session.js';
import type { RetryOptions } from './retry.js';
import type { TimingOptions } from './timing.js';

// Option names shared by several constructors, each typed as a record over its interface
// so that a list cannot drift from the interface it names.

/** Every name of {@link TimingOptions}. */
export const TIMING_NAMES = Object.keys({
  loginTimeout: true,
  logoutTimeout: true,
  refusedCooldown: true,
  idleTimeout: true,
  lease: true,
} satisfies Record<keyof TimingOptions, true>);

/** Every name of {@link RetryOptions}. */
export const RETRY_NAMES = Object.keys({
  attempts: true,
  initialDelay: true,
  maxDelay: true,
  factor: true,
  jitter: true,
} satisfies Record<keyof RetryOptions, true>);

/** Every name of {@link FetchStrategyOptions}. */
export const FETCH_NAMES = Object.keys({
  baseUrl: true,
  headers: true,
  isExpired: true,
  fetch: true,
  key: true,
} satisfies Record<keyof FetchStrategyOptions<unknown>, true>);
