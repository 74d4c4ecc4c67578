import { InvalidOptionError } from './errors.js';

/**
 * The timing options the keeper and the pool share.
 *
 * @public
 */
export interface TimingOptions {
  /**
   * How long one login attempt may take, in milliseconds, before it is given up as a
   * passing failure (`ERR_UPSTREAM_TIMEOUT`, retried with backoff like a 5xx; the
   * strategy's signal aborts). A session that still arrives afterwards is logged out.
   * Default 30 000; `Infinity` for none.
   */
  readonly loginTimeout?: number;
  /**
   * How long a logout may take, in milliseconds; `close()` never waits longer for one,
   * nor for a login in flight that it lets finish to log it out. Default 5 000.
   */
  readonly logoutTimeout?: number;
  /**
   * How long refused credentials (`ERR_UPSTREAM_LOGIN_FAILED`) are not tried again, in
   * milliseconds: every call in that time fails at once with
   * `ERR_UPSTREAM_LOGIN_COOLDOWN`, without asking the upstream, unless the app calls
   * `resetCooldown(principal)` (after fixing the password). With a coordinator, the
   * cooldown holds in every process. Default 60 000; 0 for none.
   */
  readonly refusedCooldown?: number;
  /**
   * Sessions unused for this long, in milliseconds, are logged out upstream (the next
   * call logs in again): an idle session holds a place the upstream counts. Default
   * `Infinity` (kept until close).
   */
  readonly idleTimeout?: number;
  /**
   * With a coordinator: how long a process's hold on a login lock or on a place in a cap
   * lasts without renewal, in milliseconds. The process renews its holds every third of
   * it; a process that dies frees them after at most this long. Default 10 000.
   */
  readonly lease?: number;
}

/** {@link TimingOptions} with every default applied. */
export interface ResolvedTiming {
  readonly loginTimeout: number;
  readonly logoutTimeout: number;
  readonly refusedCooldown: number;
  readonly idleTimeout: number;
  readonly lease: number;
}

/** Validates the timing options once, at construction, naming the wrong one. */
export function resolveTiming(options: TimingOptions): ResolvedTiming {
  const { loginTimeout = 30_000, logoutTimeout = 5_000, refusedCooldown = 60_000, idleTimeout = Infinity, lease = 10_000 } = options;
  const positive = (name: string, value: number, infinite: boolean): void => {
    if (!(typeof value === 'number' && value > 0 && (infinite || Number.isFinite(value)))) {
      throw new InvalidOptionError(name, `must be a number of milliseconds > 0${infinite ? ', or Infinity' : ''}`);
    }
  };
  positive('loginTimeout', loginTimeout, true);
  positive('logoutTimeout', logoutTimeout, true);
  positive('idleTimeout', idleTimeout, true);
  positive('lease', lease, false);
  if (!(typeof refusedCooldown === 'number' && refusedCooldown >= 0 && Number.isFinite(refusedCooldown))) {
    throw new InvalidOptionError('refusedCooldown', 'must be a finite number of milliseconds ≥ 0');
  }
  return { loginTimeout, logoutTimeout, refusedCooldown, idleTimeout, lease };
}

/** Resolves once `promise` settles or after `ms` milliseconds; says whether it settled. */
export function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  if (ms === Infinity) return promise.then(() => true, () => true);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(done, done);
  });
}
