import { InvalidOptionError } from './errors.js';
import type { EvictionPolicy } from './eviction-policy.js';
import { leastRecentlySeen } from './policies/least-recently-seen.js';
import { createPrincipalKey, type PrincipalKeyFunction, type PrincipalKeyOptions } from './principal-key.js';
import type { SessionStore } from './store.js';
import type { Timeouts } from './timeouts.js';
import { REGISTRY_OPTION_NAMES } from './registry-option-names.js';
import { rejectUnknownOptions } from './unknown-options.js';

/**
 * A principal's session limit: a fixed number, or a function of the principal (per-role
 * limits). The function gets the principal as given to `admit` and its key.
 *
 * @public
 */
export type MaxSessions = number | ((principal: unknown, principalKey: string) => number | Promise<number>);

/**
 * Options of {@link SessionRegistry}. Durations are milliseconds; `Infinity` turns a
 * timeout off. Every option is validated at construction, with an `ERR_INVALID_OPTION`
 * error naming it; an unknown option name (`maxSesions`) is refused the same way, naming
 * the closest known one.
 *
 * @public
 */
export interface SessionRegistryOptions {
  /** Where sessions are kept. Default: the embedded memory store ({@link createMemoryStore}). */
  readonly store?: SessionStore;
  /**
   * The most active sessions per principal: an integer ≥ 1, `Infinity` (or `-1`, Spring
   * Security's spelling of unlimited), or a function of the principal returning one. Default `Infinity`.
   */
  readonly maxSessions?: MaxSessions;
  /** Over the limit: `'evict'` sessions chosen by the policy (default), or `'reject'` the new login. */
  readonly onLimit?: 'evict' | 'reject';
  /** Which sessions give way when evicting. Default {@link leastRecentlySeen}. */
  readonly policy?: EvictionPolicy;
  /** End sessions not seen for this long (reason `idle`). Default 30 minutes. */
  readonly idleTimeout?: number;
  /** End sessions this old, however active (reason `absolute`). Default `Infinity`. */
  readonly absoluteTimeout?: number;
  /**
   * The flush interval of "last seen" (rule R11 of `docs/storage-rules.md`): each check
   * records the request time in memory at once, and every `touchInterval` milliseconds
   * the sessions seen since the last flush are written in one `store.touch` batch — at
   * most once per interval per session, however busy. Before admitting, listing or
   * ending for a principal, its pending touches are written first, so eviction order and
   * the devices page are exact within a process; across processes they are exact to
   * within this interval. `0` flushes at the next turn of the event loop. Must be shorter
   * than `idleTimeout`. Default: 1000 (one second), or a tenth of `idleTimeout` if smaller.
   */
  readonly touchInterval?: number;
  /** How long an ended session is remembered, so its device is told why. Default 24 hours. */
  readonly tombstoneRetention?: number;
  /** The most ended sessions remembered per principal. Default 32. */
  readonly maxTombstones?: number;
  /** How principals become keys; see {@link PrincipalKeyOptions}. */
  readonly principalKey?: PrincipalKeyOptions;
  /** The longest session id accepted. Default 256. */
  readonly maxSessionIdLength?: number;
  /**
   * The largest `attributes` a login may carry, in bytes of their JSON (rule R16); a
   * bigger one is refused at admit with `ERR_INVALID_OPTION` naming `attributes`.
   * Default 4096.
   */
  readonly maxAttributesBytes?: number;
  /**
   * When the store fails during a request check: `'fail-closed'` (default) refuses the
   * request; `'fail-open'` lets it through untracked. Logins and other operations always
   * fail with `ERR_STORE`.
   */
  readonly onStoreError?: 'fail-closed' | 'fail-open';
  /** The clock, in milliseconds since the epoch. Inject one in tests. Default `Date.now`. */
  readonly clock?: () => number;
  /** Run a sweep this often (a timer that does not keep the process alive). Default: off. */
  readonly sweepInterval?: number;
  /** The most principals one sweep looks at. Default 1000. */
  readonly sweepBatch?: number;
}

/** Options after validation and defaults. */
export interface ResolvedOptions {
  readonly store: SessionStore | undefined;
  readonly maxSessions: MaxSessions;
  readonly onLimit: 'evict' | 'reject';
  readonly policy: EvictionPolicy;
  readonly timeouts: Timeouts;
  readonly touchInterval: number;
  readonly principalKey: PrincipalKeyFunction;
  readonly maxSessionIdLength: number;
  readonly maxAttributesBytes: number;
  readonly failOpen: boolean;
  readonly clock: () => number;
  readonly sweepInterval: number;
  readonly sweepBatch: number;
}

/**
 * Validates options and fills in defaults.
 *
 * @param options - as given.
 */
export function resolveOptions(options: SessionRegistryOptions): ResolvedOptions {
  rejectUnknownOptions(options, REGISTRY_OPTION_NAMES, 'SessionRegistry');
  const idle = duration(options, 'idleTimeout', 30 * 60_000, true);
  const absolute = duration(options, 'absoluteTimeout', Infinity, true);
  const retention = duration(options, 'tombstoneRetention', 24 * 3_600_000, false);
  const touchInterval = duration(options, 'touchInterval', Math.min(1000, idle / 10), false);
  if (Number.isFinite(idle) && touchInterval >= idle) {
    throw new InvalidOptionError('touchInterval', 'must be shorter than idleTimeout (idle expiry is measured from the last touch)');
  }
  const maxTombstones = integer(options, 'maxTombstones', 32, 0);
  const maxSessions = typeof options.maxSessions === 'function' ? options.maxSessions : checkLimit(options.maxSessions ?? Infinity);
  const onLimit = options.onLimit ?? 'evict';
  if (onLimit !== 'evict' && onLimit !== 'reject') throw new InvalidOptionError('onLimit', "must be 'evict' or 'reject'");
  const policy = options.policy ?? leastRecentlySeen();
  if (!policy || typeof policy.rank !== 'function' || typeof policy.name !== 'string') {
    throw new InvalidOptionError('policy', 'must be an eviction policy: an object with a name and a rank() method');
  }
  if (policy.replaces !== undefined && typeof policy.replaces !== 'function') {
    throw new InvalidOptionError('policy.replaces', 'must be a function when present');
  }
  const onStoreError = options.onStoreError ?? 'fail-closed';
  if (onStoreError !== 'fail-closed' && onStoreError !== 'fail-open') {
    throw new InvalidOptionError('onStoreError', "must be 'fail-closed' or 'fail-open'");
  }
  const clock = options.clock ?? Date.now;
  if (typeof clock !== 'function') throw new InvalidOptionError('clock', 'must be a function returning milliseconds');
  const store = options.store;
  if (
    store !== undefined &&
    (typeof store !== 'object' || typeof store.admit !== 'function' || typeof store.check !== 'function' || typeof store.touch !== 'function')
  ) {
    throw new InvalidOptionError('store', 'must be a SessionStore (admit, check, touch, list, end, endAll, sweep, close)');
  }
  const sweepInterval = options.sweepInterval === undefined ? 0 : duration(options, 'sweepInterval', 0, false);
  if (!Number.isFinite(sweepInterval)) throw new InvalidOptionError('sweepInterval', 'must be finite');
  return {
    store,
    maxSessions,
    onLimit,
    policy,
    timeouts: { idle, absolute, retention, maxTombstones },
    touchInterval,
    principalKey: createPrincipalKey(options.principalKey),
    maxSessionIdLength: integer(options, 'maxSessionIdLength', 256, 1),
    maxAttributesBytes: integer(options, 'maxAttributesBytes', 4096, 2),
    failOpen: onStoreError === 'fail-open',
    clock,
    sweepInterval,
    sweepBatch: integer(options, 'sweepBatch', 1000, 1),
  };
}

/**
 * Checks a session limit: an integer of at least 1, or `Infinity`; `-1` is an alias of
 * `Infinity` (unlimited, as in Spring Security's `maximumSessions(-1)`).
 *
 * @param value - the limit.
 * @param option - the option name for the error.
 */
export function checkLimit(value: unknown, option = 'maxSessions'): number {
  if (value === Infinity || (typeof value === 'number' && Number.isInteger(value) && value >= 1)) return value;
  if (value === -1) return Infinity;
  throw new InvalidOptionError(option, `must be an integer of at least 1, or Infinity (or -1) for no limit; got ${String(value)}`);
}

function duration(options: SessionRegistryOptions, name: keyof SessionRegistryOptions, fallback: number, allowInfinity: boolean): number {
  const value = options[name] ?? fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (!allowInfinity && value === Infinity)) {
    throw new InvalidOptionError(name, `must be a number of milliseconds, 0 or more${allowInfinity ? ', or Infinity' : ''}`);
  }
  if (allowInfinity && value === 0) throw new InvalidOptionError(name, 'must be more than 0 (use Infinity to turn it off)');
  return value;
}

function integer(options: SessionRegistryOptions, name: keyof SessionRegistryOptions, fallback: number, min: number): number {
  const value = options[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(name, `must be an integer of at least ${min}`);
  }
  return value;
}
