import {
  ClosedError,
  CorruptRecordError,
  InvalidOptionError,
  StoreError,
  type SessionInfo,
  type SessionStore,
} from '@session-policy/core';
import {
  byCreation,
  endedSession,
  expiryReason,
  forgetAt,
  KeyedMutex,
  NearCache,
  StoreListeners,
  planAdmission,
  planEnd,
  refresh,
  toStoreError,
  type ActiveOutcome,
  type AdmitOutcome,
  type AdmitRequest,
  type CheckOutcome,
  type CheckRequest,
  type EndAllRequest,
  type EndOutcome,
  type EndRequest,
  type ListOutcome,
  type ListRequest,
  type SweepOutcome,
  type SweepRequest,
  type Timeouts,
  type TouchContext,
  type TouchRequest,
} from '@session-policy/core/store';
import pg from 'pg';
import { encodeEnded, type SessionRef } from './bus-message.js';
import { Database, type Transaction } from './database.js';
import { ensureSchema } from './migrate.js';
import { resolvePostgresOptions, type PostgresSessionStoreOptions, type ResolvedPostgresOptions } from './options.js';
import { RevocationBus } from './revocation-bus.js';
import { decodeRow, encodeDetails, SESSION_COLUMNS, TOMBSTONE_COLUMNS, type SessionRow } from './row-codec.js';
import { byteaLiteral, digest, TableNames } from './schema.js';
import { Sweeper, type PurgeOutcome, type PurgeRequest } from './sweeper.js';

/**
 * What a {@link PostgresSessionStore} can be built from: a `pg.Pool` (yours: the store
 * never ends it), a connection string (the store makes a pool and ends it on close), or
 * a Keyv instance over `@keyv/postgres` (or that adapter itself): `@keyv/postgres` keeps
 * its pool private, so the store makes a pool of its own from the adapter's connection
 * settings (`uri` and pool options) and ends only that one; Keyv's pool is left alone.
 *
 * @public
 */
export type PostgresSource = string | pg.Pool | { readonly store?: unknown; readonly opts?: unknown };

const UNKNOWN: CheckOutcome = Object.freeze({ status: 'unknown' });
/** Attempts of an admission that races another one for the same session id (R4). */
const ADMIT_ATTEMPTS = 8;
/** Principals a sweep ends sessions of at once. */
const SWEEP_CONCURRENCY = 4;

/** A principal's rows as read under its lock. */
interface Loaded {
  readonly actives: SessionInfo[];
  readonly tombstones: SessionInfo[];
  /** Hashes of rows we did not write (R18), to delete on the next write. */
  readonly corruptActives: Buffer[];
  readonly corruptTombstones: Buffer[];
}

/** What one principal's write changes. */
interface Change {
  /** The records read. */
  readonly before: readonly SessionInfo[];
  /** The records planned (without those forgotten). */
  readonly after: readonly SessionInfo[];
  /** The sessions this operation ended (to announce), tombstone kept or not. */
  readonly ended: readonly SessionInfo[];
  readonly loaded: Loaded;
}

/** Retry the admission with these locks taken up front (R4: another principal holds the id). */
class RetryWithLocks extends Error {
  /** Not an outage (see the database's failure tracking). */
  readonly code = 'RETRY_WITH_LOCKS';
  constructor(readonly principals: readonly string[]) {
    super('retry with locks');
  }
}

/**
 * The session store for many processes sharing one PostgreSQL. Every operation on a
 * principal is one transaction under a transaction-level advisory lock on a hash of the
 * principal key (`pg_advisory_xact_lock`), so it is atomic across processes (rule R1 of
 * `docs/storage-rules.md`) while operations on different principals never wait on each
 * other. The rules themselves are the core's pure planners (`planAdmission`, `planEnd`,
 * `refresh`): the store reads the principal's rows, plans, and writes the difference.
 *
 * Layout (see {@link TableNames}): one row per active session, one row per tombstone, so
 * a login reads the principal's active sessions and the candidate id's tombstone by key,
 * never its whole history. Keys are `TEXT` of any length (indexed by SHA-256 digest).
 * Tables are created on first use (or by {@link migrate}), named from `prefix`.
 *
 * Every end is published with `pg_notify` in the transaction that writes it; other
 * processes' registries emit it as an `ended` event with origin `remote`. A near cache
 * answers checks of sessions seen active within `nearCache.ttl` without a round trip;
 * bus messages invalidate it and it is bypassed while the `LISTEN` connection is not
 * proven live.
 *
 * A sweeper deletes what retention allows in bounded batches (tombstones past retention,
 * sessions expired longer than retention ago), on a timer and in every `sweep`.
 * Postgres failures surface as `StoreError` (`ERR_STORE`) within `queryTimeout`; the
 * store recovers by itself when Postgres is back.
 *
 * @example
 * ```ts
 * import { PostgresSessionStore } from '@session-policy/postgres';
 * import { SessionRegistry } from '@session-policy/core';
 * const store = new PostgresSessionStore('postgres://app@localhost/app', { prefix: 'myapp_sp_' });
 * const registry = new SessionRegistry({ store, maxSessions: 3 });
 * ```
 *
 * @public
 */
export class PostgresSessionStore implements SessionStore {
  /** @inheritdoc */
  readonly name: string = 'postgres';
  /** The table names and channel this store uses. */
  readonly tables: TableNames;
  readonly #options: ResolvedPostgresOptions;
  readonly #database: Database;
  readonly #owned: boolean;
  readonly #bus: RevocationBus | undefined;
  readonly #near: NearCache | undefined;
  readonly #sweeper: Sweeper;
  readonly #listeners = new StoreListeners();
  // Operations of this process on one principal queue here rather than on the advisory
  // lock: they do not hold pool connections while they wait, and the timeout measures
  // Postgres, not this process's own queue.
  readonly #mutex = new KeyedMutex();
  #ready: Promise<void> | undefined;
  #closed = false;

  /**
   * @param source - see {@link PostgresSource}.
   * @param options - see {@link PostgresSessionStoreOptions}.
   */
  constructor(source: PostgresSource, options: PostgresSessionStoreOptions = {}) {
    this.#options = resolvePostgresOptions(options);
    this.tables = new TableNames(this.#options.prefix, this.#options.schema);
    const { pool, made } = poolOf(source, this.#options);
    this.#owned = this.#options.closePool ?? made;
    this.#database = new Database(pool, this.#options.queryTimeout, (error) => this.#listeners.report(new StoreError('connection', error)));
    if (this.#options.nearCache) this.#near = new NearCache(this.#options.nearCache);
    if (this.#options.bus) {
      this.#bus = new RevocationBus(this.#database, this.tables.channel, this.#options.busProbeInterval, {
        ended: (sessions, refs) => this.#remoteEnded(sessions, refs),
        state: () => this.#near?.invalidate(),
        problem: (error) => this.#listeners.report(error),
      });
      void this.#bus.start();
    }
    this.#sweeper = new Sweeper(this.#database, this.tables, this.#options.sweeper, (error) => this.#listeners.report(toStoreError('sweep', error)));
  }

  /**
   * Whether checks may currently be answered from the near cache (it is on and the bus
   * is proven live).
   */
  get nearCacheActive(): boolean {
    return this.#near !== undefined && this.#bus?.live === true;
  }

  /** @inheritdoc */
  async admit(request: AdmitRequest): Promise<AdmitOutcome> {
    await this.#prepare('admit', request.timeouts, request.now);
    const { candidate } = request;
    let locks = [candidate.principalKey];
    for (let attempt = 1; ; attempt++) {
      const epoch = this.#near?.epoch ?? 0;
      try {
        const outcome = await this.#queued(candidate.principalKey, () => this.#admitOnce(request, locks));
        if (outcome.admitted) {
          this.#near?.forget(outcome.evicted, outcome.replaced, outcome.expired);
          this.#near?.remember({ status: 'active', session: outcome.session }, epoch);
        } else this.#near?.forget(outcome.expired);
        return outcome;
      } catch (error) {
        if (attempt >= ADMIT_ATTEMPTS) throw toStoreError('admit', error);
        if (error instanceof RetryWithLocks) locks = [...new Set([candidate.principalKey, ...error.principals])];
        // 23505: another admission made this id active for another principal meanwhile (R4).
        else if ((error as { code?: unknown }).code !== '23505') throw toStoreError('admit', error);
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
      }
    }
  }

  async #admitOnce(request: AdmitRequest, lockPrincipals: readonly string[]): Promise<AdmitOutcome> {
    const { candidate, timeouts, now } = request;
    const principalKey = candidate.principalKey;
    const p = digest(principalKey);
    const s = digest(candidate.sessionId);
    const { actives, tombstones } = this.tables;
    const lockIds = [...lockPrincipals].map((k) => this.tables.lockId(k)).sort();
    return this.#database.transaction(
      lockIds,
      [
        `SELECT ${SESSION_COLUMNS}, session_hash FROM ${actives} WHERE principal_hash = ${byteaLiteral(p)}`,
        `SELECT ${TOMBSTONE_COLUMNS}, session_hash FROM ${tombstones} WHERE principal_hash = ${byteaLiteral(p)} AND session_hash = ${byteaLiteral(s)}`,
        // R4: the principal this id is active for, if another one.
        `SELECT ${SESSION_COLUMNS}, session_hash FROM ${actives} WHERE session_hash = ${byteaLiteral(s)} AND principal_hash <> ${byteaLiteral(p)}`,
      ],
      async ([activeRows, tombstoneRows, ownerRows], tx) => {
        const loaded = this.#load('admit', principalKey, activeRows!.rows as SessionRow[], tombstoneRows!.rows as SessionRow[]);
        const before = [...loaded.actives, ...loaded.tombstones];
        const plan = planAdmission(before, request);
        const beforeCommit: string[] = [];
        let outcome = plan.outcome;
        const owner = (ownerRows!.rows as (SessionRow & { session_hash: Buffer })[])[0];
        if (outcome.admitted && !outcome.alreadyActive && owner) {
          // R4: end the id for the principal it is active for, under that principal's lock too.
          const other = owner.principal_key;
          if (!lockPrincipals.includes(other)) {
            const [got] = await tx.batch([`SELECT pg_try_advisory_xact_lock(${this.tables.lockId(other)}) AS locked`]);
            if (!got!.rows[0]?.locked) throw new RetryWithLocks([other]);
          }
          const moved = await this.#replaceElsewhere(tx, other, candidate.sessionId, timeouts, now, beforeCommit);
          if (moved) outcome = { ...outcome, replaced: [...outcome.replaced, moved] };
        }
        const ended = outcome.admitted ? [...outcome.evicted, ...outcome.replaced, ...outcome.expired] : outcome.expired;
        const mine = ended.filter((r) => r.principalKey === principalKey);
        if (plan.changed) beforeCommit.push(...(await this.#write(tx, principalKey, { before, after: plan.records, ended: mine, loaded }, timeouts)));
        else await this.#dropCorrupt(tx, principalKey, loaded);
        return { value: outcome, beforeCommit };
      },
    );
  }

  /**
   * R4: ends session `sessionId` for `principalKey` (reason `replaced`), inside the
   * admitting transaction; returns the ended session (or `undefined` when it was not
   * active there after all).
   */
  async #replaceElsewhere(
    tx: Transaction,
    principalKey: string,
    sessionId: string,
    timeouts: Timeouts,
    now: number,
    beforeCommit: string[],
  ): Promise<SessionInfo | undefined> {
    const p = digest(principalKey);
    const s = digest(sessionId);
    const [rows] = await tx.batch([
      `SELECT ${SESSION_COLUMNS}, session_hash FROM ${this.tables.actives} WHERE principal_hash = ${byteaLiteral(p)} AND session_hash = ${byteaLiteral(s)}`,
    ]);
    const loaded = this.#load('admit', principalKey, rows!.rows as SessionRow[], []);
    const current = loaded.actives.find((r) => r.sessionId === sessionId);
    if (!current) return undefined;
    const ended = endedSession(current, 'replaced', now);
    beforeCommit.push(...(await this.#write(tx, principalKey, { before: [current], after: [ended], ended: [ended], loaded }, timeouts)));
    this.#near?.forget([ended]);
    return ended;
  }

  /** @inheritdoc */
  async check(request: CheckRequest): Promise<CheckOutcome> {
    const hit = this.peek(request);
    if (hit) return hit;
    const { principalKey, sessionId, now, timeouts } = request;
    await this.#prepare('check', timeouts, now);
    const epoch = this.#near?.epoch ?? 0;
    const record = await this.#readSession(principalKey, sessionId);
    if (!record) return UNKNOWN;
    if (record.state === 'ended') return now >= forgetAt(record, timeouts) ? UNKNOWN : { status: 'ended', session: record, expiredNow: false };
    if (expiryReason(record, timeouts, now) === undefined) {
      const answer: ActiveOutcome = { status: 'active', session: record };
      this.#near?.remember(answer, epoch);
      return answer;
    }
    // R7, R8: it has expired: end it (and whatever else of the principal has) atomically.
    const outcome = await this.#mutate('check', principalKey, timeouts, now, [], (loaded): { value: CheckOutcome; after: SessionInfo[]; ended: SessionInfo[] } => {
      const refreshed = refresh([...loaded.actives], timeouts, now);
      const current = refreshed.records.find((r) => r.sessionId === sessionId);
      const others = refreshed.expired.filter((r) => r.sessionId !== sessionId);
      const expired = others.length > 0 ? { expired: others } : {};
      const mine = refreshed.expired.find((r) => r.sessionId === sessionId);
      const done = { after: refreshed.records, ended: refreshed.expired };
      if (mine) return { value: { status: 'ended', session: mine, expiredNow: true, ...expired }, ...done };
      if (current?.state === 'active') return { value: { status: 'active', session: current, ...expired }, ...done };
      return { value: { status: 'unknown', ...expired }, ...done };
    });
    if (outcome.status !== 'unknown') return outcome;
    // Ended by another process between the read and the lock (which then reported the
    // expiry, R8): answer from its tombstone.
    const ended = await this.#readSession(principalKey, sessionId);
    if (ended?.state !== 'ended' || now >= forgetAt(ended, timeouts)) return outcome;
    return { status: 'ended', session: ended, expiredNow: false, ...(outcome.expired ? { expired: outcome.expired } : {}) };
  }

  /** A session's active row or tombstone, in one indexed statement. */
  async #readSession(principalKey: string, sessionId: string): Promise<SessionInfo | undefined> {
    const { actives, tombstones } = this.tables;
    let rows: SessionRow[];
    try {
      rows = (
        await this.#database.query(
          `SELECT ${SESSION_COLUMNS}, NULL::bigint AS ended_at, NULL::text AS end_reason FROM ${actives} WHERE session_hash = $2 AND principal_hash = $1
           UNION ALL SELECT ${TOMBSTONE_COLUMNS} FROM ${tombstones} WHERE principal_hash = $1 AND session_hash = $2`,
          [digest(principalKey), digest(sessionId)],
        )
      ).rows as SessionRow[];
    } catch (error) {
      throw toStoreError('check', error);
    }
    return this.#decodeAll('check', principalKey, rows).find((r) => r.sessionId === sessionId);
  }

  /**
   * Answers from the near cache, while the bus is proven live, for an active session
   * with no expiry due; `undefined` otherwise (the registry then calls {@link check}).
   */
  peek(request: CheckRequest): CheckOutcome | undefined {
    const near = this.#near;
    if (!near || !this.#bus?.live || this.#closed) return undefined;
    const { principalKey, sessionId, now, timeouts } = request;
    return near.get(principalKey, sessionId, timeouts, now);
  }

  /**
   * Rule R11: for each entry whose session is active, `lastSeenAt = max(lastSeenAt, seenAt)`
   * — one `UPDATE … FROM unnest(…)` for the whole batch. It takes no principal lock: a
   * row being ended by another transaction is skipped (`SKIP LOCKED`; that end wins), and
   * ended sessions have no row to update, so a touch never revives.
   *
   * @param touches - the touches (any order, repeats allowed: the latest wins).
   * @param context - the flush's time and timeouts (for the sweeper's clock).
   */
  async touch(touches: readonly TouchRequest[], context: TouchContext): Promise<void> {
    await this.#prepare('touch', context.timeouts, context.now);
    if (touches.length === 0) return;
    const latest = new Map<string, { s: Buffer; p: Buffer; seen: number }>();
    for (const { principalKey, sessionId, seenAt } of touches) {
      if (!Number.isFinite(seenAt)) continue;
      const key = `${sessionId}\n${principalKey}`;
      const seen = latest.get(key);
      if (seen) seen.seen = Math.max(seen.seen, seenAt);
      else latest.set(key, { s: digest(sessionId), p: digest(principalKey), seen: seenAt });
    }
    const rows = [...latest.values()];
    const { actives } = this.tables;
    try {
      await this.#database.query(
        `WITH t AS (SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bigint[]) AS t(sh, ph, seen)),
         locked AS (
           SELECT a.session_hash, t.seen FROM ${actives} a JOIN t ON a.session_hash = t.sh AND a.principal_hash = t.ph
           WHERE a.last_seen_at < t.seen FOR UPDATE OF a SKIP LOCKED
         )
         UPDATE ${actives} AS a SET last_seen_at = GREATEST(a.last_seen_at, locked.seen) FROM locked WHERE a.session_hash = locked.session_hash`,
        [rows.map((r) => r.s), rows.map((r) => r.p), rows.map((r) => String(Math.trunc(r.seen)))],
      );
    } catch (error) {
      throw toStoreError('touch', error);
    }
  }

  /** @inheritdoc */
  async list(request: ListRequest): Promise<ListOutcome> {
    const { principalKey, now, timeouts } = request;
    await this.#prepare('list', timeouts, now);
    const p = digest(principalKey);
    const { actives, tombstones } = this.tables;
    let rows: SessionRow[];
    try {
      rows = (
        await this.#database.query(
          `SELECT ${SESSION_COLUMNS}, NULL::bigint AS ended_at, NULL::text AS end_reason FROM ${actives} WHERE principal_hash = $1
           UNION ALL SELECT ${TOMBSTONE_COLUMNS} FROM ${tombstones} WHERE principal_hash = $1`,
          [p],
        )
      ).rows as SessionRow[];
    } catch (error) {
      throw toStoreError('list', error);
    }
    const records = this.#decodeAll('list', principalKey, rows);
    if (!records.some((r) => r.state === 'active' && expiryReason(r, timeouts, now) !== undefined)) {
      const kept = refresh(records, timeouts, now).records;
      return { sessions: kept.sort(byCreation), expired: [] };
    }
    return this.#mutate('list', principalKey, timeouts, now, ['tombstones'], (loaded) => {
      const { records: next, expired } = refresh([...loaded.actives, ...loaded.tombstones], timeouts, now);
      return { value: { sessions: [...next].sort(byCreation), expired }, after: next, ended: expired };
    });
  }

  /** @inheritdoc */
  async end(request: EndRequest): Promise<EndOutcome> {
    const { principalKey, sessionId, reason, timeouts, now } = request;
    return this.#endWhere('end', principalKey, timeouts, now, (s) => s.sessionId === sessionId, reason);
  }

  /** @inheritdoc */
  async endAll(request: EndAllRequest): Promise<EndOutcome> {
    const { principalKey, except, reason, timeouts, now } = request;
    return this.#endWhere('endAll', principalKey, timeouts, now, (s) => s.sessionId !== except, reason);
  }

  async #endWhere(
    operation: string,
    principalKey: string,
    timeouts: Timeouts,
    now: number,
    which: (session: SessionInfo) => boolean,
    reason: EndRequest['reason'],
  ): Promise<EndOutcome> {
    await this.#prepare(operation, timeouts, now);
    return this.#mutate(operation, principalKey, timeouts, now, [], (loaded) => {
      const plan = planEnd(loaded.actives, which, reason, timeouts, now);
      return { value: plan.outcome, after: plan.records, ended: [...plan.outcome.ended, ...plan.outcome.expired] };
    });
  }

  /**
   * Ends expired sessions (R20) of at most `limit` principals, found through the
   * `last_seen_at` and `created_at` indexes, each principal in its own transaction; then
   * runs the retention sweeper once (bounded batches, see {@link purge}).
   */
  async sweep(request: SweepRequest): Promise<SweepOutcome> {
    const { now, timeouts, limit } = request;
    await this.#prepare('sweep', timeouts, now);
    const due = await this.#sweeper.due(now, timeouts, limit).catch((error: unknown) => {
      throw toStoreError('sweep', error);
    });
    const expired: SessionInfo[] = [];
    for (let i = 0; i < due.length; i += SWEEP_CONCURRENCY) {
      const found = await Promise.all(
        due.slice(i, i + SWEEP_CONCURRENCY).map((principalKey) =>
          this.#mutate('sweep', principalKey, timeouts, now, [], (loaded) => {
            const { records, expired: e } = refresh(loaded.actives, timeouts, now);
            return { value: e, after: records, ended: e };
          }),
        ),
      );
      for (const list of found) expired.push(...list);
    }
    await this.#sweeper.purge({ now, timeouts }).catch((error: unknown) => {
      throw toStoreError('sweep', error);
    });
    return { expired };
  }

  /**
   * Deletes what retention allows (tombstones past retention, sessions expired longer
   * than retention ago), at most `sweeper.batch` rows per statement and
   * `sweeper.maxBatches` statements per table. The sweeper timer calls it with the
   * clock and timeouts of the last operation; `sweep` calls it too.
   *
   * @param request - the time and timeouts to apply.
   */
  async purge(request: PurgeRequest): Promise<PurgeOutcome> {
    await this.#prepare('purge', undefined, undefined);
    try {
      return await this.#sweeper.purge(request);
    } catch (error) {
      throw toStoreError('purge', error);
    }
  }

  /** @inheritdoc */
  watch(listener: (ended: readonly SessionInfo[]) => void): () => void {
    return this.#listeners.watch(listener);
  }

  /** @inheritdoc */
  onError(listener: (error: Error) => void): () => void {
    return this.#listeners.onError(listener);
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#sweeper.stop();
    this.#near?.invalidate();
    await this.#bus?.close();
    await this.#sweeper.idle();
    await this.#database.close(this.#owned);
  }

  /**
   * Checks the store is open, creates or checks the tables once (retried after a
   * failure), and hands the clock and timeouts to the sweeper.
   */
  async #prepare(operation: string, timeouts: Timeouts | undefined, now: number | undefined): Promise<void> {
    if (this.#closed) throw new ClosedError('The session store');
    if (timeouts && now !== undefined) this.#sweeper.observe(timeouts, now);
    this.#ready ??= this.#migrate().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    try {
      await this.#ready;
    } catch (error) {
      throw toStoreError(operation, error);
    }
  }

  /**
   * Runs work for a principal after this process's earlier work for it. Work that waited
   * while Postgres kept failing fails at once (a queue behind a dead database would
   * otherwise cost each caller a full timeout per operation ahead of it).
   */
  #queued<T>(principalKey: string, work: () => Promise<T>): Promise<T> {
    const queuedAt = Date.now();
    return this.#mutex.run(principalKey, () => {
      if (Date.now() - queuedAt > 5 && this.#database.failingSince(queuedAt)) {
        return Promise.reject(new Error('Postgres has been failing since this operation was queued; not tried'));
      }
      return work();
    });
  }

  /** Creates or checks the tables, with a longer timeout than operations (it may wait on another process's migration). */
  async #migrate(): Promise<void> {
    const database = new Database(this.#database.pool, Math.max(this.#options.queryTimeout, 10_000), () => undefined);
    try {
      await ensureSchema(database, this.tables, this.#options.migrate);
    } finally {
      await database.close(false);
    }
  }

  /**
   * One transaction on one principal: lock, read its active sessions (and its tombstones
   * when asked), plan, write the difference.
   */
  async #mutate<T>(
    operation: string,
    principalKey: string,
    timeouts: Timeouts,
    now: number,
    also: readonly 'tombstones'[],
    plan: (loaded: Loaded) => { value: T; after: readonly SessionInfo[]; ended: readonly SessionInfo[] },
  ): Promise<T> {
    const p = byteaLiteral(digest(principalKey));
    const { actives, tombstones } = this.tables;
    const first = [`SELECT ${SESSION_COLUMNS}, session_hash FROM ${actives} WHERE principal_hash = ${p}`];
    if (also.includes('tombstones')) first.push(`SELECT ${TOMBSTONE_COLUMNS}, session_hash FROM ${tombstones} WHERE principal_hash = ${p}`);
    let ended: readonly SessionInfo[] = [];
    try {
      const value = await this.#queued(principalKey, () => this.#database.transaction([this.tables.lockId(principalKey)], first, async ([activeRows, tombstoneRows], tx) => {
        const loaded = this.#load(operation, principalKey, activeRows!.rows as SessionRow[], (tombstoneRows?.rows ?? []) as SessionRow[]);
        const before = [...loaded.actives, ...loaded.tombstones];
        const planned = plan(loaded);
        ended = planned.ended;
        const beforeCommit = await this.#write(tx, principalKey, { before, after: planned.after, ended, loaded }, timeouts);
        const value = planned.value;
        return { value, beforeCommit };
      }));
      this.#near?.forget(ended);
      return value;
    } catch (error) {
      throw toStoreError(operation, error);
    }
  }

  /**
   * Writes one principal's difference in one statement (data-modifying CTEs): actives
   * that ended or were forgotten are deleted, new ones inserted, new tombstones inserted,
   * forgotten tombstones (R13) and rows we did not write (R18) deleted, and every end
   * announced with `pg_notify` (delivered on commit). Returns the statements to run
   * before `COMMIT`: the tombstone cap (R14), applied after the inserts so the sessions
   * this operation ended count.
   */
  async #write(tx: Transaction, principalKey: string, change: Change, timeouts: Timeouts): Promise<string[]> {
    const { before, after, loaded } = change;
    const announce = change.ended;
    const beforeById = new Map(before.map((r) => [r.sessionId, r]));
    const afterById = new Map(after.map((r) => [r.sessionId, r]));
    const deleteActives: Buffer[] = [...loaded.corruptActives];
    const deleteTombstones: Buffer[] = [...loaded.corruptTombstones];
    const insertActives: SessionInfo[] = [];
    const insertTombstones: SessionInfo[] = [];
    for (const old of before) {
      const next = afterById.get(old.sessionId);
      if (old.state === 'active') {
        if (next?.state === 'active') continue;
        deleteActives.push(digest(old.sessionId));
        if (next) insertTombstones.push(next);
      } else if (!next) deleteTombstones.push(digest(old.sessionId));
      else if (next.state === 'active') {
        // A forgotten tombstone (past retention, not yet swept) whose id was admitted again.
        deleteTombstones.push(digest(old.sessionId));
        insertActives.push(next);
      }
    }
    for (const next of after) if (!beforeById.has(next.sessionId)) (next.state === 'active' ? insertActives : insertTombstones).push(next);
    if (deleteActives.length + deleteTombstones.length + insertActives.length + insertTombstones.length === 0) return [];
    const p = digest(principalKey);
    const { actives, tombstones, channel } = this.tables;
    const messages = this.#bus ? encodeEnded(this.#bus.origin, announce) : [];
    const times = (list: readonly SessionInfo[], field: 'createdAt' | 'lastSeenAt' | 'endedAt'): string[] => list.map((r) => String(r[field] ?? 0));
    await tx.query(
      `WITH
        del_a AS (DELETE FROM ${actives} WHERE principal_hash = $1 AND session_hash = ANY($3::bytea[])),
        ins_a AS (
          INSERT INTO ${actives} (session_hash, principal_hash, principal_key, session_id, created_at, last_seen_at, details)
          SELECT h, $1, $2, s, c, l, d FROM unnest($4::bytea[], $5::text[], $6::bigint[], $7::bigint[], $8::text[]) AS t(h, s, c, l, d)
        ),
        ins_t AS (
          INSERT INTO ${tombstones} (principal_hash, session_hash, principal_key, session_id, created_at, last_seen_at, ended_at, end_reason, details)
          SELECT $1, h, $2, s, c, l, e, r, d FROM unnest($9::bytea[], $10::text[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[], $15::text[]) AS t(h, s, c, l, e, r, d)
          ON CONFLICT (principal_hash, session_hash) DO UPDATE SET
            principal_key = EXCLUDED.principal_key, session_id = EXCLUDED.session_id, created_at = EXCLUDED.created_at,
            last_seen_at = EXCLUDED.last_seen_at, ended_at = EXCLUDED.ended_at, end_reason = EXCLUDED.end_reason, details = EXCLUDED.details
        ),
        del_t AS (DELETE FROM ${tombstones} WHERE principal_hash = $1 AND session_hash = ANY($16::bytea[]))
      SELECT count(pg_notify($17, m)) AS notified FROM unnest($18::text[]) AS m`,
      [
        p,
        principalKey,
        deleteActives,
        insertActives.map((r) => digest(r.sessionId)),
        insertActives.map((r) => r.sessionId),
        times(insertActives, 'createdAt'),
        times(insertActives, 'lastSeenAt'),
        insertActives.map(encodeDetails),
        insertTombstones.map((r) => digest(r.sessionId)),
        insertTombstones.map((r) => r.sessionId),
        times(insertTombstones, 'createdAt'),
        times(insertTombstones, 'lastSeenAt'),
        times(insertTombstones, 'endedAt'),
        insertTombstones.map((r) => r.endReason ?? 'revoked'),
        insertTombstones.map(encodeDetails),
        deleteTombstones,
        channel,
        messages,
      ],
    );
    if (insertTombstones.length === 0 || !Number.isFinite(timeouts.maxTombstones)) return [];
    // R14: keep the newest maxTombstones (by endedAt, then createdAt, then session id).
    const keep = Math.max(0, Math.floor(timeouts.maxTombstones));
    const where = `principal_hash = ${byteaLiteral(p)}`;
    return [
      `DELETE FROM ${tombstones} WHERE ${where} AND ctid = ANY(ARRAY(
         SELECT ctid FROM ${tombstones} WHERE ${where} ORDER BY ended_at DESC, created_at DESC, session_id COLLATE "C" DESC OFFSET ${keep}))`,
    ];
  }

  /** R18: a write that changed nothing else still drops the rows we did not write. */
  async #dropCorrupt(tx: Transaction, principalKey: string, loaded: Loaded): Promise<void> {
    if (loaded.corruptActives.length + loaded.corruptTombstones.length === 0) return;
    await this.#write(tx, principalKey, { before: [], after: [], ended: [], loaded }, { idle: Infinity, absolute: Infinity, retention: 0, maxTombstones: Infinity });
  }

  /** Decodes a principal's rows; rows we did not write are reported once (R18) and set aside. */
  #load(operation: string, principalKey: string, activeRows: readonly SessionRow[], tombstoneRows: readonly SessionRow[]): Loaded {
    const problems: string[] = [];
    const decode = (rows: readonly SessionRow[], ended: boolean, corrupt: Buffer[]): SessionInfo[] => {
      const out: SessionInfo[] = [];
      for (const row of rows) {
        const hash = (row as { session_hash?: Buffer }).session_hash;
        const session = decodeRow(ended ? row : { ...row, ended_at: null }, principalKey);
        const wrong = typeof session === 'string' ? session : hash && !digest(session.sessionId).equals(hash) ? 'session id does not match its key' : undefined;
        if (wrong || typeof session === 'string') {
          problems.push(wrong ?? 'unreadable');
          if (hash) corrupt.push(hash);
        } else if (session.state === (ended ? 'ended' : 'active')) out.push(session);
      }
      return out;
    };
    const corruptActives: Buffer[] = [];
    const corruptTombstones: Buffer[] = [];
    const loaded = {
      actives: decode(activeRows, false, corruptActives),
      tombstones: decode(tombstoneRows, true, corruptTombstones),
      corruptActives,
      corruptTombstones,
    };
    if (problems.length > 0) this.#reportCorrupt(operation, principalKey, problems);
    return loaded;
  }

  #decodeAll(operation: string, principalKey: string, rows: readonly SessionRow[]): SessionInfo[] {
    const out: SessionInfo[] = [];
    const problems: string[] = [];
    for (const row of rows) {
      const session = decodeRow(row, principalKey);
      if (typeof session === 'string') problems.push(session);
      else out.push(session);
    }
    if (problems.length > 0) this.#reportCorrupt(operation, principalKey, problems);
    return out;
  }

  #reportCorrupt(operation: string, principalKey: string, problems: readonly string[]): void {
    const key = `${this.tables.actives}/${this.tables.tombstones} principal ${principalKey.slice(0, 64)}`;
    this.#listeners.report(new CorruptRecordError(key, `${problems.length} row(s) not written by this store (${problems[0]}), seen by ${operation}`));
  }

  async #remoteEnded(sessions: readonly SessionInfo[], refs: readonly SessionRef[]): Promise<void> {
    this.#near?.bump();
    this.#near?.forget(sessions);
    let all = sessions;
    if (refs.length > 0) {
      // Too big for a payload: read them from the tombstones (or, if already trimmed,
      // drop the whole near cache: we cannot tell which entry it was).
      try {
        const { rows } = await this.#database.query(
          `SELECT ${TOMBSTONE_COLUMNS} FROM ${this.tables.tombstones} t JOIN unnest($1::bytea[], $2::bytea[]) AS r(ph, sh) ON t.principal_hash = r.ph AND t.session_hash = r.sh`,
          [refs.map((r) => Buffer.from(r.principalHash, 'hex')), refs.map((r) => digest(r.sessionId))],
        );
        const found = (rows as SessionRow[]).map((row) => decodeRow(row, row.principal_key)).filter((s): s is SessionInfo => typeof s !== 'string');
        if (found.length < refs.length) this.#near?.invalidate();
        this.#near?.forget(found);
        all = [...sessions, ...found];
      } catch (error) {
        this.#near?.invalidate();
        this.#listeners.report(new StoreError('bus', error));
      }
    }
    if (all.length > 0) this.#listeners.ended(all);
  }

}

/** The pool behind a source, and whether the store made it. */
function poolOf(source: PostgresSource, options: ResolvedPostgresOptions): { pool: pg.Pool; made: boolean } {
  const ms = Math.ceil(options.queryTimeout);
  // Operations stop waiting for a connection after queryTimeout (Database#acquire); the
  // connection attempt itself may take longer (a loaded server forks backends slowly) and
  // then serves the next operation.
  const timeouts = { connectionTimeoutMillis: Math.max(ms, 10_000), statement_timeout: ms, lock_timeout: ms, max: options.poolSize, keepAlive: true };
  if (typeof source === 'string') {
    if (source.length === 0) throw new InvalidOptionError('source', 'the connection string is empty');
    return { pool: new pg.Pool({ connectionString: source, ...timeouts }), made: true };
  }
  if (source instanceof pg.Pool || isPool(source)) return { pool: source as pg.Pool, made: false };
  if (source && typeof source === 'object') {
    const adapter = (source as { store?: unknown }).store ?? source;
    const opts = (adapter as { opts?: Record<string, unknown> }).opts;
    if (opts && typeof opts === 'object' && typeof opts.uri === 'string') {
      const { uri, table: _t, schema: _s, keySize: _k, dialect: _d, useUnloggedTable: _u, ...poolConfig } = opts;
      return { pool: new pg.Pool({ ...(poolConfig as pg.PoolConfig), connectionString: uri, ...timeouts }), made: true };
    }
  }
  throw new InvalidOptionError('source', 'PostgresSessionStore needs a connection string, a pg.Pool, or a Keyv instance over @keyv/postgres');
}

function isPool(value: unknown): boolean {
  return !!value && typeof value === 'object' && typeof (value as pg.Pool).connect === 'function' && typeof (value as pg.Pool).query === 'function' && 'totalCount' in value;
}
