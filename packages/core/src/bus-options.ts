import { InvalidOptionError } from './errors.js';
import { positiveOption } from './positive-option.js';
import { rejectUnknownOptions } from './unknown-options.js';

/**
 * A near cache's settings after validation and defaults (see {@link resolveBusOptions}).
 *
 * @public
 */
export interface NearCacheSettings {
  /** How long an entry may answer, in milliseconds. */
  readonly ttl: number;
  /** The most entries kept. */
  readonly max: number;
}

/**
 * The options of a store shared by many processes that decide whether it runs a
 * revocation bus and a near cache (the Redis and Postgres stores take them under these
 * names, each documenting them on its own options type).
 *
 * @public
 */
export interface BusOptionsInput {
  /** Run the revocation bus. Default `true`. */
  readonly bus?: boolean;
  /** The near cache's `ttl` and `max`, or `false` for none. Needs the bus. Default `{}`. */
  readonly nearCache?: { readonly ttl?: number; readonly max?: number } | false;
}

/**
 * {@link BusOptionsInput} after validation and defaults.
 *
 * @public
 */
export interface ResolvedBusOptions {
  /** Whether the store runs its revocation bus. */
  readonly bus: boolean;
  /** The near cache's settings, or `undefined` for none (off, or no bus). */
  readonly nearCache: NearCacheSettings | undefined;
}

const NEAR_CACHE_NAMES = ['ttl', 'max'];

/**
 * Validates `bus` and `nearCache` and fills in their defaults: the bus is on unless
 * `false`; the near cache is on with the bus (`ttl` 1000 ms, `max` 10 000) unless
 * `false`, and off without it. A near cache asked for without the bus is refused
 * (nothing would invalidate it). Throws {@link InvalidOptionError}
 * (`ERR_INVALID_OPTION`) naming the option (`bus`, `nearCache`, `nearCache.ttl`,
 * `nearCache.max`).
 *
 * @param options - the store's options as given (only `bus` and `nearCache` are read).
 * @param owner - the store, for the message of an unknown `nearCache` option. Default `'the store'`.
 * @throws InvalidOptionError (`ERR_INVALID_OPTION`) on the first invalid one.
 *
 * @public
 */
export function resolveBusOptions(options: BusOptionsInput, owner = 'the store'): ResolvedBusOptions {
  const bus = options.bus ?? true;
  if (typeof bus !== 'boolean') throw new InvalidOptionError('bus', 'must be true or false');
  let nearCache: NearCacheSettings | undefined;
  if (options.nearCache !== false) {
    if (options.nearCache !== undefined && !bus) {
      throw new InvalidOptionError('nearCache', 'needs the bus (bus: true): without it nothing would invalidate the cache');
    }
    if (bus) {
      const given = options.nearCache ?? {};
      if (given === null || typeof given !== 'object') throw new InvalidOptionError('nearCache', 'must be an object or false');
      rejectUnknownOptions(given, NEAR_CACHE_NAMES, owner, 'nearCache');
      nearCache = { ttl: positiveOption(given.ttl, 1000, 'nearCache.ttl', false), max: positiveOption(given.max, 10_000, 'nearCache.max', true) };
    }
  }
  return { bus, nearCache };
}
