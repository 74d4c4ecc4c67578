import { InvalidOptionError, rejectUnknownOptions } from '@session-policy/core';
import { positiveOption, resolveBusOptions, type NearCacheSettings } from '@session-policy/core/store';

/** Options of the near cache. @public */
export interface NearCacheOptions {
  /**
   * How long a session seen active in Redis may be answered from memory, in milliseconds:
   * the bound on how long a process may keep accepting a session ended elsewhere if the
   * revocation bus fails silently. Default 1000.
   */
  readonly ttl?: number;
  /** The most sessions kept. Default 10 000. */
  readonly max?: number;
}

/** Options of {@link RedisSessionStore}. @public */
export interface RedisSessionStoreOptions {
  /**
   * Prefix of every key and of the bus channel, so the store can share a Redis (and a
   * prefix such as `myapp:`) with other applications. It must not hold `{` or `}` (it
   * would capture the hash tag that keeps a principal on one cluster slot). All processes
   * sharing sessions must use the same prefix. Default `'sp:'`.
   */
  readonly prefix?: string;
  /**
   * How long an operation may wait for Redis, in milliseconds, before it fails with
   * `ERR_STORE`. Commands are never queued while Redis is unreachable: they fail at once.
   * Default 1000.
   */
  readonly commandTimeout?: number;
  /**
   * Publish every end on the revocation bus and listen to other processes' ends
   * (`watch`). Turning it off also turns off the near cache. Default `true`.
   */
  readonly bus?: boolean;
  /**
   * Answer checks of recently seen active sessions from memory (see
   * {@link NearCacheOptions}), or `false` to always ask Redis. Needs the bus. Default
   * `{ ttl: 1000, max: 10_000 }`.
   */
  readonly nearCache?: NearCacheOptions | false;
  /**
   * The bus heartbeat, in milliseconds: each store publishes a beat this often and hears
   * it back through its own subscription. A beat not heard within one interval marks the
   * bus down (a silent subscription is noticed within two intervals): the near cache is
   * bypassed and an `error` is reported until a beat comes back. Default 1000.
   */
  readonly busProbeInterval?: number;
  /**
   * Attempts of the optimistic admission used with custom eviction policies (those
   * without a `descriptor`) before failing with `ERR_STORE`. Default 20.
   */
  readonly maxRetries?: number;
  /**
   * Close the Redis client when the store is closed. Default: `true` when the store built
   * the client (from a URL), `false` for a client or Keyv instance you passed (you own it).
   */
  readonly closeClient?: boolean;
}

/** Options after validation and defaults. */
export interface ResolvedRedisOptions {
  readonly prefix: string;
  readonly commandTimeout: number;
  readonly bus: boolean;
  readonly nearCache: NearCacheSettings | undefined;
  readonly busProbeInterval: number;
  readonly maxRetries: number;
  readonly closeClient: boolean | undefined;
}

const OPTION_NAMES = Object.keys({
  prefix: true,
  commandTimeout: true,
  bus: true,
  nearCache: true,
  busProbeInterval: true,
  maxRetries: true,
  closeClient: true,
} satisfies Record<keyof RedisSessionStoreOptions, true>);

/**
 * Validates the options and fills in defaults; throws `ERR_INVALID_OPTION` naming the
 * option otherwise.
 *
 * @param options - as given.
 */
export function resolveRedisOptions(options: RedisSessionStoreOptions): ResolvedRedisOptions {
  rejectUnknownOptions(options, OPTION_NAMES, 'RedisSessionStore');
  const prefix = options.prefix ?? 'sp:';
  if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
    throw new InvalidOptionError('prefix', 'must be a string without "{" or "}" (they would break the cluster hash tag)');
  }
  const { bus, nearCache } = resolveBusOptions(options, 'RedisSessionStore');
  const closeClient = options.closeClient;
  if (closeClient !== undefined && typeof closeClient !== 'boolean') throw new InvalidOptionError('closeClient', 'must be true or false');
  return {
    prefix,
    commandTimeout: positiveOption(options.commandTimeout, 1000, 'commandTimeout', false),
    bus,
    nearCache,
    busProbeInterval: positiveOption(options.busProbeInterval, 1000, 'busProbeInterval', false),
    maxRetries: positiveOption(options.maxRetries, 20, 'maxRetries', true),
    closeClient,
  };
}
