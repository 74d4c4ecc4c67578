import type Keyv from 'keyv';
import { DeadlineQueue } from './deadline-queue.js';
import { ClosedError, CorruptRecordError, toStoreError } from './errors.js';
import { KeyedMutex } from './keyed-mutex.js';
import { lastForget, nextDeadline, planAdmission, planEnd, planTouch, refresh } from './principal-sessions.js';
import type { SessionInfo } from './session.js';
import { parseSessionRecord } from './session-record.js';
import type {
  AdmitOutcome,
  AdmitRequest,
  CheckOutcome,
  CheckRequest,
  EndAllRequest,
  EndOutcome,
  EndRequest,
  ListOutcome,
  ListRequest,
  SessionStore,
  SweepOutcome,
  SweepRequest,
  TouchContext,
  TouchRequest,
} from './store.js';
import { expiryReason, forgetAt, type Timeouts } from './timeouts.js';

/** Options of {@link KeyvSessionStore}. @public */
export interface KeyvSessionStoreOptions {
  /** Prefix of this store's keys inside the Keyv namespace. Default `'sp:'`. */
  readonly prefix?: string;
  /** Close the Keyv instance (`disconnect`) when the store is closed. Default `false`. */
  readonly closeKeyv?: boolean;
  /**
   * Reads a key's stored value synchronously, for a backend in this process's memory
   * (the embedded store passes its lru-cache): enables {@link KeyvSessionStore.peek}, so
   * most request checks need no promise. Return `undefined` for absent or expired keys.
   */
  readonly readSync?: (key: string) => unknown;
  /** The store's name, for logs and benchmarks. Default `'keyv'`. */
  readonly name?: string;
}

/** What is stored under one principal's key. */
interface PrincipalBlob {
  readonly v: 1;
  readonly sessions: readonly SessionInfo[];
}

const UNKNOWN: CheckOutcome = Object.freeze({ status: 'unknown' });

/**
 * A session store over any Keyv instance: one key per principal holding all of its
 * sessions, with a TTL that outlives the last of them, so the backend forgets them by
 * itself.
 *
 * Atomicity: operations on one principal are serialized **within this process** (a
 * per-principal lock), so two concurrent logins of one user with a limit of 1 end with
 * exactly one active session. **Across processes nothing is atomic**: two processes
 * sharing a Redis or Postgres through Keyv can both admit a login and overshoot the
 * limit, and a touch can overwrite an end written by another process. Use the Redis store
 * (`@session-policy/redis`) when several processes share sessions.
 *
 * The store sets `throwOnErrors` on the Keyv instance: a backend failure must surface as
 * `ERR_STORE`, never as a silent "no session".
 *
 * @public
 */
export class KeyvSessionStore implements SessionStore {
  /** @inheritdoc */
  readonly name: string;
  readonly #keyv: Keyv;
  readonly #prefix: string;
  readonly #closeKeyv: boolean;
  readonly #readSync: ((key: string) => unknown) | undefined;
  readonly #mutex = new KeyedMutex();
  readonly #deadlines = new DeadlineQueue();
  readonly #errorListeners = new Set<(error: Error) => void>();
  // Blobs this process wrote and still holds by reference (stores that keep objects
  // instead of serializing them): they need no re-validation on read.
  readonly #trusted = new WeakSet<object>();
  #closed = false;

  /**
   * @param keyv - any Keyv instance (its namespace and serialization are respected).
   * @param options - see {@link KeyvSessionStoreOptions}.
   */
  constructor(keyv: Keyv, options: KeyvSessionStoreOptions = {}) {
    this.#keyv = keyv;
    this.#prefix = options.prefix ?? 'sp:';
    this.#closeKeyv = options.closeKeyv ?? false;
    this.#readSync = options.readSync;
    this.name = options.name ?? 'keyv';
    keyv.throwOnErrors = true;
  }

  /** @inheritdoc */
  async admit(request: AdmitRequest): Promise<AdmitOutcome> {
    const { principalKey } = request.candidate;
    return this.#update('admit', principalKey, request.timeouts, request.now, (records) => planAdmission(records, request));
  }

  /** @inheritdoc */
  async check(request: CheckRequest): Promise<CheckOutcome> {
    const { principalKey, sessionId, now, timeouts } = request;
    const record = find(await this.#read('check', principalKey), sessionId);
    if (!record) return UNKNOWN;
    if (record.state === 'ended') return ended(record, timeouts, now);
    if (expiryReason(record, timeouts, now) === undefined) return { status: 'active', session: record };
    // R7, R8: the session has expired: end it (and whatever else of the principal has) atomically.
    return this.#update('check', principalKey, timeouts, now, (records): { outcome: CheckOutcome; records: SessionInfo[]; changed: boolean } => {
      const refreshed = refresh(records, timeouts, now);
      const current = find(refreshed.records, sessionId);
      const others = refreshed.expired.filter((s) => s.sessionId !== sessionId);
      const expired = others.length > 0 ? { expired: others } : {};
      if (!current) return { outcome: { status: 'unknown', ...expired }, ...refreshed };
      if (current.state === 'ended') {
        const expiredNow = refreshed.expired.some((s) => s.sessionId === sessionId);
        return { outcome: { status: 'ended', session: current, expiredNow, ...expired }, ...refreshed };
      }
      return { outcome: { status: 'active', session: current, ...expired }, ...refreshed };
    });
  }

  /**
   * Answers from memory when the store was given `readSync` and a value this process
   * wrote is there: active with no expiry due, a retained tombstone, or absent. Anything
   * else (an expiry, a value to validate) is left to {@link check}.
   */
  peek(request: CheckRequest): CheckOutcome | undefined {
    if (!this.#readSync || this.#closed) return undefined;
    const raw = this.#readSync(this.#key(request.principalKey));
    if (raw === undefined || raw === null) return UNKNOWN;
    if (typeof raw !== 'object' || !this.#trusted.has(raw)) return undefined;
    const { sessionId, now, timeouts } = request;
    const record = find((raw as PrincipalBlob).sessions, sessionId);
    if (!record) return UNKNOWN;
    if (record.state === 'ended') return ended(record, timeouts, now);
    if (expiryReason(record, timeouts, now) === undefined) return { status: 'active', session: record };
    return undefined;
  }

  /**
   * R11: raises `lastSeenAt` of active sessions to the touches' times, one principal at
   * a time under its lock (and the key's TTL with it).
   */
  async touch(touches: readonly TouchRequest[], context: TouchContext): Promise<void> {
    const byPrincipal = new Map<string, Map<string, number>>();
    for (const { principalKey, sessionId, seenAt } of touches) {
      let seen = byPrincipal.get(principalKey);
      if (!seen) byPrincipal.set(principalKey, (seen = new Map()));
      if (!(seen.get(sessionId)! >= seenAt)) seen.set(sessionId, seenAt);
    }
    const { timeouts, now } = context;
    await Promise.all(
      [...byPrincipal].map(([principalKey, seen]) =>
        this.#update('touch', principalKey, timeouts, now, (records) => ({ outcome: undefined, ...planTouch(records, seen) })),
      ),
    );
  }

  /** @inheritdoc */
  async list(request: ListRequest): Promise<ListOutcome> {
    const { principalKey, timeouts, now } = request;
    const records = await this.#read('list', principalKey);
    if (!records.some((r) => r.state === 'active' && expiryReason(r, timeouts, now) !== undefined)) {
      return { sessions: records.filter((r) => r.state === 'active' || now < forgetAt(r, timeouts)), expired: [] };
    }
    return this.#update('list', principalKey, timeouts, now, (current) => {
      const { records: next, expired, changed } = refresh(current, timeouts, now);
      return { outcome: { sessions: next, expired }, records: next, changed };
    });
  }

  /** @inheritdoc */
  async end(request: EndRequest): Promise<EndOutcome> {
    const { principalKey, sessionId, reason, timeouts, now } = request;
    return this.#update('end', principalKey, timeouts, now, (records) =>
      planEnd(records, (s) => s.sessionId === sessionId, reason, timeouts, now),
    );
  }

  /** @inheritdoc */
  async endAll(request: EndAllRequest): Promise<EndOutcome> {
    const { principalKey, except, reason, timeouts, now } = request;
    return this.#update('endAll', principalKey, timeouts, now, (records) =>
      planEnd(records, (s) => s.sessionId !== except, reason, timeouts, now),
    );
  }

  /**
   * Ends expired sessions of the principals whose earliest deadline has passed, as known
   * to this process (it saw them written). `limit` bounds the principals looked at.
   */
  async sweep(request: SweepRequest): Promise<SweepOutcome> {
    const { now, timeouts, limit } = request;
    const expired: SessionInfo[] = [];
    for (const principalKey of this.#deadlines.due(now, limit)) {
      const found = await this.#update('sweep', principalKey, timeouts, now, (current) => {
        const { records, expired: e, changed } = refresh(current, timeouts, now);
        return { outcome: e, records, changed };
      });
      expired.push(...found);
    }
    return { expired };
  }

  /** @inheritdoc */
  onError(listener: (error: Error) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#closeKeyv) await this.#keyv.disconnect?.();
  }

  #key(principalKey: string): string {
    return this.#prefix + principalKey;
  }

  async #read(operation: string, principalKey: string): Promise<readonly SessionInfo[]> {
    if (this.#closed) throw new ClosedError('The session store');
    const key = this.#key(principalKey);
    let raw: unknown;
    try {
      raw = await this.#keyv.get(key);
    } catch (error) {
      throw toStoreError(operation, error);
    }
    if (raw === undefined || raw === null) return [];
    if (typeof raw === 'object' && this.#trusted.has(raw)) return (raw as PrincipalBlob).sessions;
    return this.#parse(key, principalKey, raw);
  }

  #parse(key: string, principalKey: string, raw: unknown): readonly SessionInfo[] {
    const blob = raw as Partial<PrincipalBlob>;
    if (typeof raw !== 'object' || blob.v !== 1 || !Array.isArray(blob.sessions)) {
      this.#report(new CorruptRecordError(key, 'not a principal record'));
      return [];
    }
    const sessions: SessionInfo[] = [];
    for (const value of blob.sessions) {
      const parsed = parseSessionRecord(value, principalKey);
      if (typeof parsed === 'string') {
        this.#report(new CorruptRecordError(key, parsed));
        return [];
      }
      sessions.push(parsed);
    }
    return sessions;
  }

  async #write(principalKey: string, records: readonly SessionInfo[], timeouts: Timeouts, now: number): Promise<void> {
    const key = this.#key(principalKey);
    if (records.length === 0) {
      await this.#keyv.delete(key);
      return;
    }
    for (const r of records) Object.freeze(r);
    const blob: PrincipalBlob = Object.freeze({ v: 1, sessions: Object.freeze(records) });
    const until = lastForget(records, timeouts);
    const ttl = Number.isFinite(until) ? Math.max(1, Math.ceil(until - now)) : undefined;
    this.#trusted.add(blob);
    await this.#keyv.set(key, blob, ttl);
    this.#deadlines.schedule(principalKey, nextDeadline(records, timeouts));
  }

  #update<T>(
    operation: string,
    principalKey: string,
    timeouts: Timeouts,
    now: number,
    plan: (records: readonly SessionInfo[]) => { outcome: T; records: readonly SessionInfo[]; changed: boolean },
  ): Promise<T> {
    return this.#mutex.run(principalKey, async () => {
      const current = await this.#read(operation, principalKey);
      const next = plan(current);
      if (next.changed) {
        try {
          await this.#write(principalKey, next.records, timeouts, now);
        } catch (error) {
          throw toStoreError(operation, error);
        }
      } else {
        this.#deadlines.schedule(principalKey, nextDeadline(next.records, timeouts));
      }
      return next.outcome;
    });
  }

  #report(error: Error): void {
    for (const listener of this.#errorListeners) listener(error);
  }
}

function find(records: readonly SessionInfo[], sessionId: string): SessionInfo | undefined {
  for (const r of records) if (r.sessionId === sessionId) return r;
  return undefined;
}

function ended(record: SessionInfo, timeouts: Timeouts, now: number): CheckOutcome {
  return now >= forgetAt(record, timeouts) ? UNKNOWN : { status: 'ended', session: record, expiredNow: false };
}
