import { createHash } from 'node:crypto';
import type pg from 'pg';

/** Where a {@link Database} reports problems that are not an operation's failure. */
export type ProblemListener = (error: Error) => void;

/** A statement inside a transaction. */
export interface Transaction {
  /**
   * Runs one parameterized statement.
   *
   * @param text - the SQL.
   * @param values - its parameters.
   */
  query(text: string, values?: readonly unknown[]): Promise<pg.QueryResult>;
  /**
   * Runs statements written entirely by the store (no parameters; one round trip for
   * all of them) and returns their results in order.
   *
   * @param statements - the SQL statements.
   */
  batch(statements: readonly string[]): Promise<pg.QueryResult[]>;
}

/** What a transaction body hands back. */
export interface Finished<T> {
  /** The operation's answer. */
  readonly value: T;
  /** Statements written by the store to run just before `COMMIT`, in the same round trip. */
  readonly beforeCommit?: readonly string[];
}

/**
 * The store's use of one `pg.Pool`: every operation bounded by the timeout (getting a
 * connection, each statement, the whole transaction), a connection that timed out or
 * failed discarded rather than returned to the pool, and the pool's `error` events
 * (idle connections dropped by the server) caught, so a Postgres restart never crashes
 * the process.
 */
export class Database {
  readonly #pool: pg.Pool;
  readonly #timeout: number;
  readonly #report: ProblemListener;
  readonly #onError = (error: Error): void => this.#problem(error);
  #reported = false;
  #closed = false;

  /**
   * @param pool - the pool.
   * @param timeout - the operation timeout, in milliseconds.
   * @param report - where connection problems go (once per outage).
   */
  constructor(pool: pg.Pool, timeout: number, report: ProblemListener) {
    this.#pool = pool;
    this.#timeout = timeout;
    this.#report = report;
    listen(pool, this.#onError);
  }

  /** The pool (the bus makes its dedicated connection with the pool's settings). */
  get pool(): pg.Pool {
    return this.#pool;
  }

  /** The operation timeout, in milliseconds. */
  get timeout(): number {
    return this.#timeout;
  }

  /**
   * Runs one statement outside a transaction (autocommit).
   *
   * @param text - the SQL.
   * @param values - its parameters.
   */
  async query(text: string, values: readonly unknown[] = []): Promise<pg.QueryResult> {
    return this.#withClient(async (client) => client.query(prepared(text, values)));
  }

  /**
   * Runs a transaction: `BEGIN`, the statement timeouts, the advisory locks (in the
   * order given: sort them to avoid deadlocks) and the `first` statements in one round
   * trip; then the body; then the body's `beforeCommit` statements and `COMMIT` in one
   * round trip. Any failure rolls back (the connection is discarded).
   *
   * @param lockIds - advisory lock ids (signed 64-bit integer literals).
   * @param first - statements written by the store, run right after the locks; their
   *   results are handed to the body.
   * @param body - the work.
   */
  async transaction<T>(
    lockIds: readonly string[],
    first: readonly string[],
    body: (results: pg.QueryResult[], tx: Transaction) => Promise<Finished<T>>,
  ): Promise<T> {
    return this.#withClient(async (client) => {
      const tx: Transaction = {
        query: (text, values = []) => client.query(prepared(text, values)),
        // No parameters: the simple protocol, several statements in one round trip.
        batch: async (statements) => results((await client.query(statements.join(';\n'))) as pg.QueryResult | pg.QueryResult[]),
      };
      const ms = Math.max(1, Math.ceil(this.#timeout));
      const head = [
        'BEGIN',
        `SET LOCAL statement_timeout = ${ms}`,
        `SET LOCAL lock_timeout = ${ms}`,
        ...lockIds.map((id) => `SELECT pg_advisory_xact_lock(${id})`),
      ];
      const all = await tx.batch([...head, ...first]);
      const finished = await body(all.slice(head.length), tx);
      await tx.batch([...(finished.beforeCommit ?? []), 'COMMIT']);
      return finished.value;
    });
  }

  /**
   * Takes a connection (waiting at most the timeout), runs `work` within what is left of
   * the timeout, and gives the connection back — or discards it after any failure, so a
   * transaction left open by a timeout is rolled back by the server.
   */
  async #withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error('the store is closed');
    const started = Date.now();
    const client = await this.#acquire();
    const quiet = (): void => undefined;
    client.on('error', quiet);
    let failure: unknown;
    let timer: NodeJS.Timeout | undefined;
    try {
      const left = Math.max(1, this.#timeout - (Date.now() - started));
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Postgres did not answer within ${this.#timeout} ms`)), left).unref();
      });
      const running = work(client);
      running.catch(() => undefined);
      const value = await Promise.race([running, timeout]);
      this.#reported = false;
      return value;
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      clearTimeout(timer);
      client.off('error', quiet);
      // A failed connection may be mid-transaction or broken: destroy it, never reuse it.
      client.release(failure === undefined ? undefined : failure instanceof Error ? failure : new Error(String(failure)));
    }
  }

  async #acquire(): Promise<pg.PoolClient> {
    const pending = this.#pool.connect();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no Postgres connection within ${this.#timeout} ms (unreachable or pool exhausted)`)), this.#timeout).unref();
    });
    try {
      return await Promise.race([pending, timeout]);
    } catch (error) {
      // A connection that arrives after the timeout goes straight back to the pool.
      pending.then((client) => client.release(), () => undefined);
      if (error instanceof Error && !/within \d+ ms/.test(error.message)) this.#problem(error);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Stops listening to the pool; ends it when the store made it.
   *
   * @param owned - whether the store made the pool.
   */
  async close(owned: boolean): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    unlisten(this.#pool, this.#onError);
    if (!owned) return;
    // Ended connections of our own pool may still report the server going away.
    this.#pool.on('error', () => undefined);
    await this.#pool.end().catch(() => undefined);
  }

  #problem(error: Error): void {
    if (this.#reported) return;
    this.#reported = true;
    this.#report(error);
  }
}

// One `error` listener per pool, however many stores share it (a pool warns past ten);
// removed with the last store, so a pool you own is left as it was.
const poolListeners = new WeakMap<pg.Pool, { readonly all: Set<(error: Error) => void>; readonly emit: (error: Error) => void }>();

function listen(pool: pg.Pool, listener: (error: Error) => void): void {
  let entry = poolListeners.get(pool);
  if (!entry) {
    const all = new Set<(error: Error) => void>();
    entry = { all, emit: (error) => all.forEach((l) => l(error)) };
    poolListeners.set(pool, entry);
    pool.on('error', entry.emit);
  }
  entry.all.add(listener);
}

function unlisten(pool: pg.Pool, listener: (error: Error) => void): void {
  const entry = poolListeners.get(pool);
  if (!entry) return;
  entry.all.delete(listener);
  if (entry.all.size > 0) return;
  pool.off('error', entry.emit);
  poolListeners.delete(pool);
}

// Parameterized statements are prepared once per connection under a name derived from
// their text (the same text always gets the same name, whatever store sends it).
const names = new Map<string, string>();
function prepared(text: string, values: readonly unknown[]): pg.QueryConfig {
  let name = names.get(text);
  if (!name) {
    name = `sp_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return { name, text, values: values as unknown[] };
}

function results(result: pg.QueryResult | pg.QueryResult[]): pg.QueryResult[] {
  return Array.isArray(result) ? result : [result];
}
