import { InvalidOptionError } from './errors.js';
import { RETRY_NAMES } from './option-names.js';
import { rejectUnknownOptions } from './unknown-options.js';

/**
 * How logins are retried after passing failures (network errors, 5xx). Refused
 * credentials are never retried.
 *
 * @public
 */
export interface RetryOptions {
  /**
   * The cap on consecutive failed attempts of one login, the first included; after it
   * the login fails with `ERR_UPSTREAM_UNAVAILABLE`. Default 3. `1` means no retry.
   */
  readonly attempts?: number;
  /** The delay before the first retry, in milliseconds. Default 100. */
  readonly initialDelay?: number;
  /** The longest delay between two attempts, in milliseconds. Default 5000. */
  readonly maxDelay?: number;
  /** How much the delay grows after each failure. Default 2. */
  readonly factor?: number;
  /**
   * Randomize each delay between half and all of its value, so that many clients that
   * failed together do not retry together. Default `true`.
   */
  readonly jitter?: boolean;
}

/** {@link RetryOptions} with every default applied. */
export interface ResolvedRetry {
  readonly attempts: number;
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly factor: number;
  readonly jitter: boolean;
}

/** Validates retry options once, at construction, naming the wrong one. */
export function resolveRetry(options: RetryOptions = {}, owner = 'the client'): ResolvedRetry {
  rejectUnknownOptions(options, RETRY_NAMES, owner, 'retry');
  const { attempts = 3, initialDelay = 100, maxDelay = 5000, factor = 2, jitter = true } = options;
  if (!Number.isInteger(attempts) || attempts < 1) throw new InvalidOptionError('retry.attempts', 'must be an integer of at least 1');
  if (!(initialDelay >= 0) || !Number.isFinite(initialDelay)) throw new InvalidOptionError('retry.initialDelay', 'must be a finite number ≥ 0');
  if (!(maxDelay >= initialDelay) || !Number.isFinite(maxDelay)) throw new InvalidOptionError('retry.maxDelay', 'must be a finite number ≥ retry.initialDelay');
  if (!(factor >= 1) || !Number.isFinite(factor)) throw new InvalidOptionError('retry.factor', 'must be a finite number ≥ 1');
  if (typeof jitter !== 'boolean') throw new InvalidOptionError('retry.jitter', 'must be a boolean');
  return { attempts, initialDelay, maxDelay, factor, jitter };
}

/**
 * The delay before retry number `failures` (1 after the first failure): exponential,
 * capped, optionally jittered.
 */
export function backoffDelay(retry: ResolvedRetry, failures: number): number {
  const delay = Math.min(retry.maxDelay, retry.initialDelay * retry.factor ** (failures - 1));
  return retry.jitter ? delay / 2 + Math.random() * (delay / 2) : delay;
}
