import type { Timeouts } from '@session-policy/core/store';
import type { Database } from './database.js';
import type { TableNames } from './schema.js';

/** What a purge applies. @public */
export interface PurgeRequest {
  /** The current time (the registry's clock). */
  readonly now: number;
  /** The timeouts in force. */
  readonly timeouts: Timeouts;
}

/** What a purge deleted. @public */
export interface PurgeOutcome {
  /** Tombstones past retention (rule R13: already invisible). */
  readonly tombstones: number;
  /**
   * Active sessions whose expiry passed more than `retention` ago: principals that never
   * came back (the Redis store's keys expire at the same moment). Their expiry is not
   * reported; run the registry's `sweep` more often than the retention to report every
   * expiry.
   */
  readonly forgotten: number;
  /** `DELETE` statements run (each removes at most `sweeper.batch` rows). */
  readonly statements: number;
}

/**
 * The retention sweeper: deletes what retention allows in bounded batches
 * (`DELETE … WHERE ctid = ANY(ARRAY(SELECT ctid … LIMIT n))`, through the `ended_at`,
 * `last_seen_at` and `created_at` indexes), so the tables do not grow without limit and
 * no statement holds many row locks. On its timer it applies the clock (as an offset from
 * `Date.now()`) and timeouts of the last operation the store served; it does nothing
 * before the first.
 */
export class Sweeper {
  readonly #database: Database;
  readonly #tables: TableNames;
  readonly #batch: number;
  readonly #maxBatches: number;
  readonly #report: (error: unknown) => void;
  readonly #timer: NodeJS.Timeout | undefined;
  #timeouts: Timeouts | undefined;
  #offset = 0;
  #running: Promise<unknown> | undefined;

  /**
   * @param database - the store's database.
   * @param tables - its tables.
   * @param options - interval (0: no timer), rows per statement, statements per table and run.
   * @param report - where the timer's failures go.
   */
  constructor(
    database: Database,
    tables: TableNames,
    options: { readonly interval: number; readonly batch: number; readonly maxBatches: number },
    report: (error: unknown) => void,
  ) {
    this.#database = database;
    this.#tables = tables;
    this.#batch = options.batch;
    this.#maxBatches = options.maxBatches;
    this.#report = report;
    if (options.interval > 0) {
      this.#timer = setInterval(() => this.#tick(), options.interval);
      this.#timer.unref();
    }
  }

  /**
   * Remembers the clock and timeouts of an operation, for the timer.
   *
   * @param timeouts - the operation's timeouts.
   * @param now - the operation's time.
   */
  observe(timeouts: Timeouts, now: number): void {
    this.#timeouts = timeouts;
    this.#offset = now - Date.now();
  }

  #tick(): void {
    const timeouts = this.#timeouts;
    if (!timeouts || this.#running) return;
    this.#running = this.purge({ now: Date.now() + this.#offset, timeouts })
      .catch((error: unknown) => this.#report(error))
      .finally(() => {
        this.#running = undefined;
      });
  }

  /**
   * The principals with a session due to expire (R7) at `now`, at most `limit`.
   *
   * @param now - the current time.
   * @param timeouts - the timeouts in force.
   * @param limit - the most principals.
   */
  async due(now: number, timeouts: Timeouts, limit: number): Promise<string[]> {
    const parts: string[] = [];
    const values: unknown[] = [Math.max(1, Math.floor(limit))];
    if (Number.isFinite(timeouts.idle)) {
      values.push(String(Math.floor(now - timeouts.idle)));
      parts.push(`(SELECT principal_key FROM ${this.#tables.actives} WHERE last_seen_at <= $${values.length} LIMIT $1)`);
    }
    if (Number.isFinite(timeouts.absolute)) {
      values.push(String(Math.floor(now - timeouts.absolute)));
      parts.push(`(SELECT principal_key FROM ${this.#tables.actives} WHERE created_at <= $${values.length} LIMIT $1)`);
    }
    if (parts.length === 0) return [];
    const { rows } = await this.#database.query(`SELECT DISTINCT principal_key FROM (${parts.join(' UNION ALL ')}) d LIMIT $1`, values);
    return (rows as { principal_key: string }[]).map((r) => r.principal_key);
  }

  /**
   * Deletes what retention allows (see {@link PurgeOutcome}), at most `batch` rows per
   * statement and `maxBatches` statements per table.
   *
   * @param request - the time and timeouts.
   */
  async purge(request: PurgeRequest): Promise<PurgeOutcome> {
    const { now, timeouts } = request;
    let statements = 0;
    const run = async (table: string, where: string, values: readonly unknown[]): Promise<number> => {
      let deleted = 0;
      for (let i = 0; i < this.#maxBatches; i++) {
        const { rowCount } = await this.#database.query(
          `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${table} WHERE ${where} LIMIT ${this.#batch}))`,
          values,
        );
        statements++;
        deleted += rowCount ?? 0;
        if ((rowCount ?? 0) < this.#batch) break;
      }
      return deleted;
    };
    let tombstones = 0;
    let forgotten = 0;
    if (Number.isFinite(timeouts.retention)) {
      // R13: forgotten once now >= endedAt + retention.
      tombstones = await run(this.#tables.tombstones, 'ended_at <= $1', [String(Math.floor(now - timeouts.retention))]);
      const conditions: string[] = [];
      const values: string[] = [];
      if (Number.isFinite(timeouts.idle)) {
        values.push(String(Math.floor(now - timeouts.idle - timeouts.retention)));
        conditions.push(`last_seen_at <= $${values.length}`);
      }
      if (Number.isFinite(timeouts.absolute)) {
        values.push(String(Math.floor(now - timeouts.absolute - timeouts.retention)));
        conditions.push(`created_at <= $${values.length}`);
      }
      if (conditions.length > 0) forgotten = await run(this.#tables.actives, conditions.join(' OR '), values);
    }
    return { tombstones, forgotten, statements };
  }

  /** Stops the timer. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Resolves once a run in progress is over. */
  async idle(): Promise<void> {
    await this.#running;
  }
}
