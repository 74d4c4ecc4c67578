import { DeadlineQueue } from './deadline-queue.js';
import { ClosedError, CorruptRecordError, toStoreError } from './errors.js';
import { KeyedMutex } from './keyed-mutex.js';
import { lastForget, nextDeadline, planAdmission, planEnd, planTouch, refresh } from './principal-sessions.js';
import { SeenSlot } from './record-seen.js';
import { sessionRecord } from './record-shape.js';
import type { RecordSpace } from './record-space.js';
import type { SessionInfo } from './session.js';
import { parseSessionRecord } from './session-record.js';
import { StoreListeners } from './store-listeners.js';
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

const UNKNOWN: CheckOutcome = Object.freeze({ status: 'unknown' });
const NONE: readonly SessionInfo[] = Object.freeze([]);
const NO_SESSION = Object.freeze({ sessionId: '', principalKey: '', createdAt: 0, lastSeenAt: 0, state: 'ended' }) as SessionInfo;

type Plan<T> = { outcome: T; records: readonly SessionInfo[]; changed: boolean };

/**
 * A session store that keeps each principal's records together in a {@link RecordSpace}
 * and runs the rules of `docs/storage-rules.md` in JavaScript (`principal-sessions.ts`).
 * The embedded store and the Keyv store are built on it.
 *
 * Atomicity (R1): operations on one principal are serialized **within this process** (a
 * per-principal lock). Across processes nothing is atomic; use the Redis store when
 * several processes share sessions.
 *
 * @public
 */
export class RecordSessionStore implements SessionStore {
  /** @inheritdoc */
  readonly name: string;
  readonly #space: RecordSpace;
  readonly #mutex = new KeyedMutex();
  readonly #deadlines = new DeadlineQueue();
  readonly #listeners = new StoreListeners();
  // Values this process wrote and still holds by reference (spaces that keep objects
  // instead of serializing them): they need no re-validation on read.
  readonly #trusted = new WeakSet<object>();
  readonly #trustAll: boolean;
  // `peek`'s answer for an active session, reused (see SessionStore.peek): no allocation per request.
  readonly #active: { status: 'active'; session: SessionInfo } = { status: 'active', session: NO_SESSION };
  // R11 in memory (`seen`): the principals whose sessions requests were seen for in the
  // current interval (folded into their records about once a second), the request time
  // that opened the interval (a session last seen before it is listed again), and what
  // the fold writes with (the latest request's timeouts and time).
  #used: string[] = [];
  #usedTimer: NodeJS.Timeout | undefined;
  #usedSince = 0;
  #seenTimeouts: Timeouts | undefined;
  #latestSeen = 0;
  #closed = false;

  /**
   * @param space - where the records live.
   * @param name - the store's name, for logs and benchmarks.
   */
  constructor(space: RecordSpace, name: string) {
    this.#space = space;
    this.#trustAll = space.readsWhatItWrote === true;
    this.name = name;
  }

  /** @inheritdoc */
  async admit(request: AdmitRequest): Promise<AdmitOutcome> {
    const { principalKey, sessionId } = request.candidate;
    const { timeouts, now } = request;
    let owner: string | undefined;
    try {
      owner = await this.#space.getOwner(sessionId);
    } catch (error) {
      throw toStoreError('admit', error);
    }
    const outcome = await this.#update('admit', principalKey, timeouts, now, (records) => {
      // The principal's records share one copy of its key (the candidate's is often a fresh string).
      const key = records[0]?.principalKey;
      return planAdmission(records, key === undefined ? request : { ...request, candidate: sessionRecord({ ...request.candidate, principalKey: key }) });
    });
    if (!outcome.admitted || outcome.alreadyActive) return outcome;
    const ttl = ttlOf(lastForget([outcome.session], timeouts), now);
    try {
      await this.#space.setOwner(outcome.session.sessionId, outcome.session.principalKey, ttl);
    } catch (error) {
      throw toStoreError('admit', error);
    }
    if (owner === undefined || owner === principalKey) return outcome;
    // R4: the id belonged to another principal: it ends there, reason `replaced`.
    const moved = await this.#update('admit', owner, timeouts, now, (records) =>
      planEnd(records, (s) => s.sessionId === sessionId, 'replaced', timeouts, now),
    );
    if (moved.ended.length === 0 && moved.expired.length === 0) return outcome;
    return { ...outcome, replaced: [...outcome.replaced, ...moved.ended], expired: [...outcome.expired, ...moved.expired] };
  }

  /** @inheritdoc */
  async check(request: CheckRequest): Promise<CheckOutcome> {
    const { principalKey, sessionId, now, timeouts } = request;
    if (this.#space.getRecordSync && !this.#closed) {
      // One step by id (an in-process index); anything but a live session takes the long way.
      const byId = this.#space.getRecordSync(sessionId);
      if (byId !== undefined && byId.principalKey === principalKey && byId.state === 'active' && liveExpiry(byId, timeouts, now) === undefined) {
        return { status: 'active', session: byId };
      }
    }
    const record = find(await this.#read('check', principalKey), sessionId);
    if (!record) return UNKNOWN;
    if (record.state === 'ended') return ended(record, timeouts, now);
    if (liveExpiry(record, timeouts, now) === undefined) return { status: 'active', session: record };
    // R7, R8: the session has expired: end it (and whatever else of the principal has) atomically.
    return this.#update('check', principalKey, timeouts, now, (records): Plan<CheckOutcome> => {
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
   * Answers from memory when the space reads synchronously and holds a value this
   * process wrote: active with no expiry due, a retained tombstone, or absent. Anything
   * else (an expiry, a value to validate) is left to {@link check}.
   */
  peek(request: CheckRequest): CheckOutcome | undefined {
    const getSync = this.#space.getSync;
    if (!getSync || this.#closed) return undefined;
    const byId = this.#space.getRecordSync?.(request.sessionId);
    if (byId !== undefined && byId.principalKey === request.principalKey) {
      const { now, timeouts } = request;
      if (byId.state === 'ended') return ended(byId, timeouts, now);
      if (liveExpiry(byId, timeouts, now) !== undefined) return undefined;
      const active = this.#active;
      active.session = byId;
      return active;
    }
    const raw = getSync.call(this.#space, request.principalKey);
    if (raw === undefined || raw === null) return UNKNOWN;
    if (typeof raw !== 'object' || !(this.#trustAll || this.#trusted.has(raw))) return undefined;
    const { sessionId, now, timeouts } = request;
    const record = find(this.#space.unwrap(raw) as readonly SessionInfo[], sessionId);
    if (!record) return UNKNOWN;
    if (record.state === 'ended') return ended(record, timeouts, now);
    if (liveExpiry(record, timeouts, now) === undefined) return { status: 'active', session: record };
    return undefined;
  }

  /**
   * R11 without a write, for a space in this process's memory that indexes records by id
   * (the embedded store): the request time goes into the record's own slot (see
   * `record-seen.ts`), read by every expiry judgement here and folded into `lastSeenAt`
   * when the principal's records are next read to be written or listed. One write to
   * memory the check has just read; no lookup but a second one of the id just looked up.
   */
  seen(session: SessionInfo, request: CheckRequest): boolean {
    const getRecordSync = this.#space.getRecordSync;
    if (!this.#trustAll || this.#closed || getRecordSync === undefined) return false;
    // The very record stored: one replaced since (a write of the principal) would lose it.
    if (getRecordSync.call(this.#space, session.sessionId) !== session) return false;
    // Compared field by field, no number computed: a number returned or passed would be boxed.
    const at = request.now;
    if (!(at > session.lastSeenAt)) return true;
    const slot = SeenSlot.seenAt(session);
    if (!(at > slot)) return true;
    const before = slot > session.lastSeenAt ? slot : session.lastSeenAt;
    if (!SeenSlot.setSeenAt(session, at)) return false;
    if (at > this.#latestSeen) this.#latestSeen = at;
    if (this.#used.length === 0) {
      this.#usedSince = at;
      this.#seenTimeouts = request.timeouts;
      this.#usedTimer ??= setTimeout(() => this.#foldUsed(), FOLD_INTERVAL).unref();
    } else if (!(before < this.#usedSince)) {
      // Seen already in this interval: listed already.
      return true;
    }
    this.#used.push(session.principalKey);
    return true;
  }

  /**
   * Folds the request times recorded in memory into the records of the principals in use
   * (one write each, which also keeps them recently used in the space): `lastSeenAt` of a
   * record handed out is then at most about a second late.
   */
  #foldUsed(): void {
    if (this.#usedTimer) clearTimeout(this.#usedTimer);
    this.#usedTimer = undefined;
    const used = this.#used;
    this.#used = [];
    const timeouts = this.#seenTimeouts;
    if (this.#closed || timeouts === undefined) return;
    const now = this.#latestSeen;
    for (const principalKey of used) {
      if (!this.#mutex.busy(principalKey)) {
        // Nothing running for the principal: read, fold and write in one synchronous step.
        const raw = this.#space.getSync?.(principalKey) as readonly SessionInfo[] | undefined;
        if (raw === undefined) continue;
        const current = fold(raw);
        if (current !== raw) this.#writeSync(principalKey, current, timeouts, now);
        continue;
      }
      // Behind the running operation (which may have folded it already).
      this.#update('touch', principalKey, timeouts, now, (records) => ({ outcome: undefined, records, changed: false })).catch((error: unknown) =>
        this.#listeners.report(toStoreError('touch', error)),
      );
    }
  }

  /**
   * R11: raises `lastSeenAt` of active sessions to the touches' times, one principal at
   * a time under its lock (and the value's TTL with it).
   */
  async touch(touches: readonly TouchRequest[], context: TouchContext): Promise<void> {
    const byPrincipal = new Map<string, Map<string, number>>();
    for (const { principalKey, sessionId, seenAt } of touches) {
      let seen = byPrincipal.get(principalKey);
      if (!seen) byPrincipal.set(principalKey, (seen = new Map()));
      if (!(seen.get(sessionId)! >= seenAt)) seen.set(sessionId, seenAt);
    }
    const { timeouts, now } = context;
    const waits: Promise<void>[] = [];
    for (const [principalKey, seen] of byPrincipal) {
      // An in-process space with nothing running for the principal: read, plan and write
      // in one synchronous step, which nothing can interleave with (no promise per touch).
      if (this.#trustAll && !this.#closed && !this.#mutex.busy(principalKey)) {
        const raw = this.#space.getSync?.(principalKey) as readonly SessionInfo[] | undefined;
        if (raw === undefined) continue;
        const current = fold(raw);
        const plan = planTouch(current, seen);
        if (plan.changed || current !== raw) this.#writeSync(principalKey, plan.records, timeouts, now);
        continue;
      }
      waits.push(this.#touchPrincipal(principalKey, seen, timeouts, now));
    }
    if (waits.length > 0) await Promise.all(waits);
  }

  async #touchPrincipal(principalKey: string, seen: ReadonlyMap<string, number>, timeouts: Timeouts, now: number): Promise<void> {
    const touched = await this.#update('touch', principalKey, timeouts, now, (records) => {
      const plan = planTouch(records, seen);
      return { ...plan, outcome: plan.changed ? plan.records.filter((r) => r.state === 'active' && seen.has(r.sessionId)) : NONE };
    });
    // R4's index follows the sessions it points at (its entries expire in remote spaces).
    for (const r of touched) await this.#space.setOwner(r.sessionId, principalKey, ttlOf(lastForget([r], timeouts), now));
  }

  /** @inheritdoc */
  async list(request: ListRequest): Promise<ListOutcome> {
    const { principalKey, timeouts, now } = request;
    const records = await this.#read('list', principalKey);
    if (!records.some((r) => r.state === 'active' && liveExpiry(r, timeouts, now) !== undefined)) {
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
    return this.#update('end', principalKey, timeouts, now, (records) => planEnd(records, (s) => s.sessionId === sessionId, reason, timeouts, now));
  }

  /** @inheritdoc */
  async endAll(request: EndAllRequest): Promise<EndOutcome> {
    const { principalKey, except, reason, timeouts, now } = request;
    return this.#update('endAll', principalKey, timeouts, now, (records) => planEnd(records, (s) => s.sessionId !== except, reason, timeouts, now));
  }

  /**
   * Ends expired sessions of the principals whose earliest deadline has passed, as known
   * to this process (it saw them written). `limit` bounds the principals looked at (R20).
   */
  async sweep(request: SweepRequest): Promise<SweepOutcome> {
    const { now, timeouts, limit } = request;
    // R11: the request times recorded in memory first, as the registry flushes its touches.
    if (this.#used.length > 0) this.#foldUsed();
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
    return this.#listeners.onError(listener);
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#usedTimer) clearTimeout(this.#usedTimer);
    this.#used = [];
    await this.#space.close();
  }

  async #read(operation: string, principalKey: string): Promise<readonly SessionInfo[]> {
    return (await this.#load(operation, principalKey)).records;
  }

  /** The principal's records, with whether R11's slots were folded in (then they must be written). */
  async #load(operation: string, principalKey: string): Promise<{ records: readonly SessionInfo[]; folded: boolean }> {
    if (this.#closed) throw new ClosedError('The session store');
    let raw: unknown;
    try {
      raw = await this.#space.get(principalKey);
    } catch (error) {
      throw toStoreError(operation, error);
    }
    if (raw === undefined || raw === null) return { records: NONE, folded: false };
    if (typeof raw === 'object' && this.#trustAll) {
      // R11: the slots' request times folded in (a copy: the stored records stay as they are).
      const stored = this.#space.unwrap(raw) as readonly SessionInfo[];
      const records = fold(stored);
      return { records, folded: records !== stored };
    }
    if (typeof raw === 'object' && this.#trusted.has(raw)) return { records: this.#space.unwrap(raw) as readonly SessionInfo[], folded: false };
    return { records: this.#parse(principalKey, raw), folded: false };
  }

  /** R18: keeps the valid records, drops the rest, and reports them once, whatever their count. */
  #parse(principalKey: string, raw: unknown): readonly SessionInfo[] {
    const values = this.#space.unwrap(raw);
    if (typeof values === 'string') {
      this.#listeners.report(new CorruptRecordError(this.#space.describe(principalKey), values));
      return NONE;
    }
    const sessions: SessionInfo[] = [];
    const seen = new Set<string>();
    let bad = 0;
    let first = '';
    for (const value of values) {
      const parsed = parseSessionRecord(value, principalKey);
      if (typeof parsed === 'string' || seen.has(parsed.sessionId)) {
        if (bad++ === 0) first = typeof parsed === 'string' ? parsed : 'a session id twice';
        continue;
      }
      seen.add(parsed.sessionId);
      sessions.push(parsed);
    }
    if (bad > 0) {
      this.#listeners.report(new CorruptRecordError(this.#space.describe(principalKey), `${bad} of ${values.length} records dropped (${first})`));
    }
    return sessions;
  }

  async #write(principalKey: string, records: readonly SessionInfo[], timeouts: Timeouts, now: number): Promise<void> {
    if (records.length === 0) {
      await this.#space.delete(principalKey);
      return;
    }
    const [value, ttl] = this.#prepare(records, timeouts, now);
    await this.#space.set(principalKey, value, ttl);
    this.#deadlines.schedule(principalKey, nextDeadline(records, timeouts));
  }

  /** The synchronous write of an in-process space (records never empty here). */
  #writeSync(principalKey: string, records: readonly SessionInfo[], timeouts: Timeouts, now: number): void {
    const [value, ttl] = this.#prepare(records, timeouts, now);
    this.#space.set(principalKey, value, ttl);
    this.#deadlines.schedule(principalKey, nextDeadline(records, timeouts));
  }

  #prepare(records: readonly SessionInfo[], timeouts: Timeouts, now: number): [unknown, number | undefined] {
    for (const r of records) Object.freeze(r);
    // Exact size (a copy has no slack), frozen: callers get these records by reference.
    const exact = Object.freeze(records.slice());
    const value = this.#space.wrap(exact);
    if (!this.#trustAll && typeof value === 'object' && value !== null) this.#trusted.add(value);
    return [value, ttlOf(lastForget(exact, timeouts), now)];
  }

  #update<T>(operation: string, principalKey: string, timeouts: Timeouts, now: number, plan: (records: readonly SessionInfo[]) => Plan<T>): Promise<T> {
    return this.#mutex.run(principalKey, async () => {
      const { records: current, folded } = await this.#load(operation, principalKey);
      const next = plan(current);
      if (next.changed || folded) {
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

}

function ttlOf(until: number, now: number): number | undefined {
  return Number.isFinite(until) ? Math.max(1, Math.ceil(until - now)) : undefined;
}

/** How often the request times recorded in memory are folded into the records, in milliseconds. */
const FOLD_INTERVAL = 1_000;

/**
 * Why an active record has expired at `now`, or `undefined`: {@link expiryReason} with
 * the request time in the record's slot (R7: a session seen here is not idle).
 */
function liveExpiry(record: SessionInfo, timeouts: Timeouts, now: number): ReturnType<typeof expiryReason> {
  const reason = expiryReason(record, timeouts, now);
  return reason === 'idle' && now < SeenSlot.seenAt(record) + timeouts.idle ? undefined : reason;
}

/** The records with the request times of their slots folded into `lastSeenAt` (R11); the same array when none is later. */
function fold(records: readonly SessionInfo[]): readonly SessionInfo[] {
  let seen: Map<string, number> | undefined;
  for (const r of records) {
    const at = SeenSlot.seenAt(r);
    if (r.state === 'active' && at > r.lastSeenAt) (seen ??= new Map()).set(r.sessionId, at);
  }
  return seen ? planTouch(records, seen).records : records;
}

function find(records: readonly SessionInfo[], sessionId: string): SessionInfo | undefined {
  for (const r of records) if (r.sessionId === sessionId) return r;
  return undefined;
}

function ended(record: SessionInfo, timeouts: Timeouts, now: number): CheckOutcome {
  return now >= forgetAt(record, timeouts) ? UNKNOWN : { status: 'ended', session: record, expiredNow: false };
}
