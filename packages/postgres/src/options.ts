import { InvalidOptionError, rejectUnknownOptions } from '@session-policy/core';
import { positiveOption, resolveBusOptions, type NearCacheSettings } from '@session-policy/core/store';

/** Options of the near cache. @public */
export interface PostgresNearCacheOptions {
  /**
   * How long a session seen active in Postgres may be answered from memory, in
   * milliseconds: the bound on how long a process may keep accepting a session ended
   * elsewhere if the revocation bus fails silently. Default 1000.
   */
  readonly ttl?: number;
  /** The most sessions kept. Default 10 000. */
  readonly max?: number;
}

/** Options of the retention sweeper (see {@link PostgresSessionStoreOptions.sweeper}). @public */
export interface PostgresSweeperOptions {
  /**
   * How often the store deletes what retention allows, in milliseconds (a timer that does
   * not keep the process alive), or `0` for never (then only `sweep` calls do). Default
   * 60 000.
   */
  readonly interval?: number;
  /** The most rows one `DELETE` statement removes. Default 500. */
  readonly batch?: number;
  /** The most `DELETE` statements per table in one run. Default 20. */
  readonly maxBatches?: number;
}

/** Options of {@link PostgresSessionStore} (and of {@link migrate}). @public */
export interface PostgresSessionStoreOptions {
  /**
   * Prefix of the store's table names and of its `LISTEN` channel, so two applications
   * (or two test runs) can share a database: tables `<prefix>actives`,
   * `<prefix>tombstones` and `<prefix>meta`. Lower-case letters, digits and `_`,
   * starting with a letter or `_`, at most 40 characters. All processes sharing sessions
   * must use the same prefix. Default `'sp_'`.
   */
  readonly prefix?: string;
  /**
   * The schema holding the tables (same rules as `prefix`, at most 63 characters), or
   * `undefined` for the connection's `search_path` (usually `public`). It is created if
   * missing. Default `undefined`.
   */
  readonly schema?: string;
  /**
   * Create the tables on first use (`CREATE TABLE IF NOT EXISTS`, under an advisory lock
   * so processes starting together do not race). With `false`, run {@link migrate}
   * yourself (at deploy time, with a role allowed to create tables); the store then only
   * checks the schema version. Default `true`.
   */
  readonly migrate?: boolean;
  /**
   * How long one operation may take, in milliseconds, before it fails with `ERR_STORE`:
   * getting a connection from the pool, each statement (`statement_timeout`,
   * `lock_timeout`) and the whole transaction. A connection that timed out is discarded,
   * so the server rolls back whatever it held. Default 1000.
   */
  readonly queryTimeout?: number;
  /**
   * Publish every end with `NOTIFY` in the transaction that writes it, and `LISTEN` on a
   * dedicated connection for other processes' ends (`watch`). Turning it off also turns
   * off the near cache. Default `true`.
   */
  readonly bus?: boolean;
  /**
   * Answer checks of recently seen active sessions from memory (see
   * {@link PostgresNearCacheOptions}), or `false` to always ask Postgres. Needs the bus.
   * Default `{ ttl: 1000, max: 10_000 }`.
   */
  readonly nearCache?: PostgresNearCacheOptions | false;
  /**
   * While the `LISTEN` connection is down or unproven, probe it this often
   * (milliseconds); the near cache is bypassed until a probe comes back, and the
   * connection is replaced after three unanswered probes. Default 1000.
   */
  readonly busProbeInterval?: number;
  /**
   * The sweeper deleting what retention allows in bounded batches: tombstones past
   * retention and sessions expired longer than retention ago (principals that never came
   * back). `false` turns the timer off (`sweep` calls still do it). Default
   * `{ interval: 60_000, batch: 500, maxBatches: 20 }`.
   */
  readonly sweeper?: PostgresSweeperOptions | false;
  /**
   * The size of the pool the store makes from a connection string (or from a Keyv
   * instance's settings). Ignored for a pool you pass. Default 10.
   */
  readonly poolSize?: number;
  /**
   * Close the pool when the store is closed. Default: `true` when the store made the pool
   * (from a connection string or a Keyv instance), `false` for a pool you passed (you own
   * it).
   */
  readonly closePool?: boolean;
}

/** Options after validation and defaults. */
export interface ResolvedPostgresOptions {
  readonly prefix: string;
  readonly schema: string | undefined;
  readonly migrate: boolean;
  readonly queryTimeout: number;
  readonly bus: boolean;
  readonly nearCache: NearCacheSettings | undefined;
  readonly busProbeInterval: number;
  readonly sweeper: { readonly interval: number; readonly batch: number; readonly maxBatches: number };
  readonly poolSize: number;
  readonly closePool: boolean | undefined;
}

const OPTION_NAMES = Object.keys({
  prefix: true,
  schema: true,
  migrate: true,
  queryTimeout: true,
  bus: true,
  nearCache: true,
  busProbeInterval: true,
  sweeper: true,
  poolSize: true,
  closePool: true,
} satisfies Record<keyof PostgresSessionStoreOptions, true>);
const SWEEPER_NAMES = Object.keys({ interval: true, batch: true, maxBatches: true } satisfies Record<keyof PostgresSweeperOptions, true>);

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * Validates the options and fills in defaults; throws `ERR_INVALID_OPTION` naming the
 * option otherwise.
 *
 * @param options - as given.
 */
export function resolvePostgresOptions(options: PostgresSessionStoreOptions): ResolvedPostgresOptions {
  rejectUnknownOptions(options, OPTION_NAMES, 'PostgresSessionStore');
  const prefix = options.prefix ?? 'sp_';
  if (typeof prefix !== 'string' || !IDENTIFIER.test(prefix) || prefix.length > 40) {
    throw new InvalidOptionError('prefix', 'must be lower-case letters, digits and "_", starting with a letter or "_", at most 40 characters');
  }
  const schema = options.schema;
  if (schema !== undefined && (typeof schema !== 'string' || !IDENTIFIER.test(schema) || schema.length > 63)) {
    throw new InvalidOptionError('schema', 'must be lower-case letters, digits and "_", starting with a letter or "_", at most 63 characters');
  }
  const migrate = options.migrate ?? true;
  if (typeof migrate !== 'boolean') throw new InvalidOptionError('migrate', 'must be true or false');
  const { bus, nearCache } = resolveBusOptions(options, 'PostgresSessionStore');
  let sweeper: ResolvedPostgresOptions['sweeper'];
  const givenSweeper = options.sweeper ?? {};
  if (givenSweeper === false) sweeper = { interval: 0, batch: 500, maxBatches: 20 };
  else {
    if (givenSweeper === null || typeof givenSweeper !== 'object') throw new InvalidOptionError('sweeper', 'must be an object or false');
    rejectUnknownOptions(givenSweeper, SWEEPER_NAMES, 'PostgresSessionStore', 'sweeper');
    const interval = givenSweeper.interval ?? 60_000;
    if (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 0) {
      throw new InvalidOptionError('sweeper.interval', 'must be a finite number of milliseconds, 0 for off');
    }
    sweeper = {
      interval,
      batch: positiveOption(givenSweeper.batch, 500, 'sweeper.batch', true),
      maxBatches: positiveOption(givenSweeper.maxBatches, 20, 'sweeper.maxBatches', true),
    };
  }
  const closePool = options.closePool;
  if (closePool !== undefined && typeof closePool !== 'boolean') throw new InvalidOptionError('closePool', 'must be true or false');
  return {
    prefix,
    schema,
    migrate,
    queryTimeout: positiveOption(options.queryTimeout, 1000, 'queryTimeout', false),
    bus,
    nearCache,
    busProbeInterval: positiveOption(options.busProbeInterval, 1000, 'busProbeInterval', false),
    sweeper,
    poolSize: positiveOption(options.poolSize, 10, 'poolSize', true),
    closePool,
  };
}
