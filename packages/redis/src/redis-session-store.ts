import { randomUUID } from 'node:crypto';
import KeyvRedis, { createClient } from '@keyv/redis';
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
  expiryReason,
  NearCache,
  StoreListeners,
  forgetAt,
  parseSessionRecord,
  planAdmission,
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
import type Keyv from 'keyv';
import { LRUCache } from 'lru-cache';
import { Connection, type AnyRedisClient, type AnyRedisCluster } from './connection.js';
import { DataMarker } from './data-marker.js';
import { BUCKETS, KeyLayout, type PrincipalKeys } from './key-layout.js';
import { resolveRedisOptions, type RedisSessionStoreOptions, type ResolvedRedisOptions } from './options.js';
import { decodeRecord, encodeDevice, encodeRecord } from './record-codec.js';
import { RevocationBus } from './revocation-bus.js';
import { SCRIPTS, type Script } from './scripts.js';

/**
 * What a {@link RedisSessionStore} can be built from: a Keyv instance whose store is a
 * `@keyv/redis` adapter, the adapter itself, a node-redis client or cluster client
 * (`createClient` / `createCluster`, both re-exported by `@keyv/redis`), or a Redis URL.
 *
 * @public
 */
export type RedisSource = string | Keyv | KeyvRedis<unknown> | AnyRedisClient | AnyRedisCluster;

const UNKNOWN: CheckOutcome = Object.freeze({ status: 'unknown' });
// Fields one chunk of list / endAll / the custom-policy read visits (HSCAN COUNT).
const CHUNK = 500;
// Sessions one sweep script ends for one principal (the rest: the next sweep).
const SWEEP_CHUNK = 500;
// Principals / buckets handled at once in a sweep (one pipelined batch).
const SWEEP_BATCH = 64;
// How long a sweeper holds the sweep lease (renewed by each of its sweeps).
const LEASE_MS = 10_000;
// How often a sweeper re-reads every bucket's head into the sweep summary (repairs an
// entry lost when a process died between a write and its summary update).
const FULL_PASS_MS = 10 * 60_000;

// Decoded active records remembered (see #decodeActive): at most this many, and at most
// about this many bytes (the stored string, its decoded copy, the entry), so records with
// large attributes cannot make the cache large.
const DECODED = 4096;
const DECODED_BYTES = 4 * 1024 * 1024;
const decodedSize = (_session: SessionInfo, record: string): number => 2 * record.length + 160;

type Reply = string[];

/**
 * The session store for many processes sharing one Redis (single node or Redis
 * Cluster). Every operation on a principal is one Lua script on that principal's keys,
 * so it is atomic across processes: N processes admitting logins of one user at once
 * never leave more than `maxSessions` active. The built-in eviction policies run inside
 * the admission script (through their `descriptor`); a custom policy runs in JavaScript
 * in an optimistic read / plan / compare-and-set loop (retried under contention).
 *
 * A principal's active sessions, their last-seen and creation orders, its devices and
 * its tombstones are separate keys in one hash slot (see `docs/redis-cluster.md`, "Key
 * layout"), so a login or a check costs O(log n) in the principal's active sessions and
 * never reads its tombstones; listing and ending all go in bounded chunks, for any
 * count. A check's fast path is one `HGET`, decided in JavaScript. Keys expire by
 * themselves (their TTL outlives the principal's last session plus tombstone
 * retention); sweeps read only the buckets a small summary names as due, one process
 * at a time (a lease in Redis).
 *
 * Every end is published on a revocation bus (Redis pub/sub) by the script that writes
 * it; other processes' registries emit it as an `ended` event with origin `remote`. A
 * near cache answers checks of sessions seen active in Redis within `nearCache.ttl`
 * without a round trip; bus messages invalidate it and it is bypassed while the
 * subscription is not proven live.
 *
 * @example
 * ```ts
 * import { createKeyv } from '@keyv/redis';
 * const store = new RedisSessionStore(createKeyv('redis://localhost:6379'), { prefix: 'myapp:sp:' });
 * const registry = new SessionRegistry({ store, maxSessions: 2 });
 * ```
 * @public
 */
export class RedisSessionStore implements SessionStore {
  /** @inheritdoc */
  readonly name: string = 'redis';
  readonly #options: ResolvedRedisOptions;
  readonly #layout: KeyLayout;
  readonly #connection: Connection;
  readonly #owned: boolean;
  readonly #bus: RevocationBus | undefined;
  readonly #marker: DataMarker;
  readonly #near: NearCache | undefined;
  readonly #origin: string;
  readonly #listeners = new StoreListeners();
  // Stored value → its decoded active session (see #decodeActive).
  readonly #decoded = new LRUCache<string, SessionInfo>({ max: DECODED, maxSize: DECODED_BYTES, sizeCalculation: decodedSize });
  #lastFullPass = 0;
  #closed = false;

  /**
   * @param source - see {@link RedisSource}.
   * @param options - see {@link RedisSessionStoreOptions}.
   */
  constructor(source: RedisSource, options: RedisSessionStoreOptions = {}) {
    this.#options = resolveRedisOptions(options);
    this.#layout = new KeyLayout(this.#options.prefix);
    const { client, built } = clientOf(source, this.#options.commandTimeout);
    this.#owned = this.#options.closeClient ?? built;
    this.#connection = new Connection(client, this.#options.commandTimeout, (error) =>
      this.#listeners.report(new StoreError('connection', error)),
    );
    // Data loss (issue #19): marker keys (one per cluster master) written at start, read
    // again on every reconnect and every few seconds.
    this.#marker = new DataMarker(this.#connection, this.#options.prefix, (error) => this.#listeners.report(error));
    this.#connection.onReady(() => this.#marker.check());
    this.#marker.check();
    if (this.#options.nearCache) this.#near = new NearCache(this.#options.nearCache);
    if (this.#options.bus) {
      this.#bus = new RevocationBus(this.#connection, this.#layout.channel, this.#options.busProbeInterval, {
        ended: (sessions) => this.#remoteEnded(sessions),
        state: (live) => {
          this.#near?.invalidate();
          if (live) this.#marker.check();
        },
        problem: (error) => this.#listeners.report(error),
      });
      void this.#bus.start();
    }
    this.#origin = this.#bus?.origin ?? randomUUID();
  }

  /** Whether this store runs on a Redis Cluster client. */
  get cluster(): boolean {
    return this.#connection.isCluster;
  }

  /**
   * Whether checks may currently be answered from the near cache (it is on and the bus
   * subscription is proven live).
   */
  get nearCacheActive(): boolean {
    return this.#near !== undefined && this.#bus?.live === true;
  }

  /**
   * The revocation bus's state: `true` while its subscription is proven live, `false`
   * while it is down (ends on other processes may be missed; the near cache is bypassed),
   * `undefined` when the store runs without a bus (`bus: false`). For monitoring.
   */
  get busLive(): boolean | undefined {
    return this.#bus?.live;
  }

  /**
   * The keys holding a principal's data (for tests and operations; all in one hash slot).
   *
   * @param principalKey - the principal's key.
   */
  keysOf(principalKey: string): PrincipalKeys {
    return this.#layout.principal(principalKey);
  }

  /** @inheritdoc */
  async admit(request: AdmitRequest): Promise<AdmitOutcome> {
    const { candidate, policy, timeouts, now } = request;
    const principalKey = candidate.principalKey;
    const keys = this.#layout.principal(principalKey);
    const descriptor = policy.descriptor;
    // idle-first by creation order is no built-in: the script ranks idle-first by last seen.
    if (!descriptor || (descriptor.order === 'created' && descriptor.minIdle > 0)) return this.#admitOptimistic(request, keys);
    const epoch = this.#near?.epoch ?? 0;
    const record = encodeRecord(candidate);
    const [status, session, evicted, replaced, expired, holders, lowered] = (await this.#run('admit', SCRIPTS.admit, keys, timeouts, now, [
      candidate.sessionId,
      record,
      encodeDevice(candidate.deviceId),
      finite(request.limit),
      request.onLimit,
      descriptor.order,
      descriptor.replaceSameDevice ? '1' : '0',
      String(descriptor.minIdle),
    ], principalKey)) as [string, string, Reply, Reply, Reply, Reply, string];
    const expiredSessions = this.#decode(keys, principalKey, expired);
    this.#near?.forget(expiredSessions);
    if (status === 'ended' || status === 'limit') {
      return {
        admitted: false,
        code: status === 'ended' ? 'ERR_SESSION_ENDED' : 'ERR_SESSION_LIMIT',
        holders: this.#decode(keys, principalKey, holders).sort(byCreation),
        limit: request.limit,
        expired: expiredSessions,
      };
    }
    // Admitted: the script stored `record` (and does not send it back); decoded here, it is
    // also what the first check of the session finds (#decodeActive remembers it).
    const active = status === 'admitted' ? this.#stored(record, candidate) : this.#decode(keys, principalKey, [session])[0];
    if (!active) throw new StoreError('admit', undefined, 'Redis returned an unreadable admitted session');
    const outcome = {
      admitted: true as const,
      session: active,
      alreadyActive: status === 'already',
      evicted: this.#decode(keys, principalKey, evicted),
      replaced: this.#decode(keys, principalKey, replaced),
      expired: expiredSessions,
    };
    this.#near?.forget(outcome.evicted, outcome.replaced);
    if (!outcome.alreadyActive) {
      const [elsewhere] = await Promise.all([this.#claim(active, timeouts, now), this.#lowerSummary(keys, lowered, timeouts)]);
      if (elsewhere) outcome.replaced = [...outcome.replaced, elsewhere];
    }
    this.#remember(active, epoch);
    return outcome;
  }

  /** @inheritdoc */
  async check(request: CheckRequest): Promise<CheckOutcome> {
    const hit = this.peek(request);
    if (hit) return hit;
    const { principalKey, sessionId, now, timeouts } = request;
    const epoch = this.#near?.epoch ?? 0;
    const keys = this.#layout.principal(principalKey);
    // The fast path: one field, decided here (R7).
    const value = await this.#read('check', keys, ['HGET', keys.sessions, sessionId]);
    // No field: never admitted here, or forgotten (the script would answer the same).
    if (value === null || value === undefined) return UNKNOWN;
    if (typeof value === 'string') {
      if (value.startsWith('e|')) {
        // A tombstone (it replaced the record in place) answers here too (R13), decoded once.
        const ended = decodeRecord(value, principalKey);
        if (typeof ended !== 'string' && ended.state === 'ended' && ended.sessionId === sessionId) {
          return now >= forgetAt(ended, timeouts) ? UNKNOWN : { status: 'ended', session: ended, expiredNow: false };
        }
      } else {
        const session = this.#decodeActive(value, principalKey);
        if (session && session.sessionId === sessionId && expiryReason(session, timeouts, now) === undefined) {
          return this.#remember(session, epoch);
        }
      }
    }
    const [status, record, junk] = (await this.#run('check', SCRIPTS.check, keys, timeouts, now, [sessionId], principalKey)) as [string, string, number];
    if (junk) this.#listeners.report(new CorruptRecordError(`${keys.sessions} ${sessionId}`, 'not a session record written by this store (dropped)'));
    if (status === 'unknown') return UNKNOWN;
    const session = this.#decode(keys, principalKey, [record])[0];
    if (!session || session.sessionId !== sessionId) return UNKNOWN;
    if (status === 'active') return this.#remember(session, epoch);
    if (status === 'expired') this.#near?.forget([session]);
    return { status: 'ended', session, expiredNow: status === 'expired' };
  }

  /**
   * Answers from the near cache, while the bus is proven live, for an active session
   * that has not passed a timeout; `undefined` otherwise (the registry then calls
   * {@link check}, one round trip).
   */
  peek(request: CheckRequest): CheckOutcome | undefined {
    if (!this.#near || !this.#bus?.live) return undefined;
    return this.#near.get(request.principalKey, request.sessionId, request.timeouts, request.now);
  }

  /**
   * Records when sessions were last seen (R11): one script per principal in the batch,
   * all sent at once (one pipelined round trip); each keeps the maximum, extends the
   * keys' TTL, and ignores sessions that are not active.
   */
  async touch(touches: readonly TouchRequest[], context: TouchContext): Promise<void> {
    const byPrincipal = new Map<string, Map<string, number>>();
    for (const { principalKey, sessionId, seenAt } of touches) {
      let sessions = byPrincipal.get(principalKey);
      if (!sessions) byPrincipal.set(principalKey, (sessions = new Map()));
      const had = sessions.get(sessionId);
      if (had === undefined || seenAt > had) sessions.set(sessionId, seenAt);
    }
    const { timeouts, now } = context;
    const ownerTtl = ownerLife(timeouts);
    await Promise.all(
      [...byPrincipal].map(async ([principalKey, sessions]) => {
        const args: string[] = [];
        for (const [id, seenAt] of sessions) args.push(id, String(seenAt));
        const refresh = (await this.#run('touch', SCRIPTS.touch, this.#layout.principal(principalKey), timeouts, now, args, principalKey)) as Reply;
        if (ownerTtl !== undefined) {
          await Promise.all(refresh.map((id) => this.#send('touch', this.#layout.owner(id), ['PEXPIRE', this.#layout.owner(id), ownerTtl])));
        }
      }),
    );
  }

  /** @inheritdoc */
  async list(request: ListRequest): Promise<ListOutcome> {
    const { principalKey, now, timeouts } = request;
    const keys = this.#layout.principal(principalKey);
    const byId = new Map<string, SessionInfo>();
    const expired: SessionInfo[] = [];
    let junk = 0;
    let cursor = '0';
    do {
      const [next, records, ended, dropped, trimmed] = (await this.#run('list', SCRIPTS.list, keys, timeouts, now, [cursor, String(CHUNK)], principalKey)) as [
        string,
        Reply,
        Reply,
        number,
        Reply,
      ];
      cursor = next;
      junk += dropped;
      // Actives and tombstones share the records hash; a field HSCAN returns twice (or
      // one that ended on the way, R8) is listed once, in its last state.
      for (const s of this.#decode(keys, principalKey, records)) byId.set(s.sessionId, s);
      for (const s of this.#decode(keys, principalKey, ended)) expired.push(s);
      // R14: tombstones the cap dropped on the way are no longer listed.
      for (const id of trimmed) byId.delete(id);
    } while (cursor !== '0');
    this.#junk(keys, junk);
    this.#near?.forget(expired);
    return { sessions: [...byId.values()].sort(byCreation), expired };
  }

  /** @inheritdoc */
  async end(request: EndRequest): Promise<EndOutcome> {
    const { principalKey, sessionId, now, timeouts, reason } = request;
    const keys = this.#layout.principal(principalKey);
    const [ended, expired, junk] = (await this.#run('end', SCRIPTS.end, keys, timeouts, now, [sessionId, reason], principalKey)) as [Reply, Reply, number];
    this.#junk(keys, junk);
    const outcome = { ended: this.#decode(keys, principalKey, ended), expired: this.#decode(keys, principalKey, expired) };
    this.#near?.forget(outcome.ended, outcome.expired);
    return outcome;
  }

  /** @inheritdoc */
  async endAll(request: EndAllRequest): Promise<EndOutcome> {
    const { principalKey, now, timeouts, reason } = request;
    const keys = this.#layout.principal(principalKey);
    const ended: SessionInfo[] = [];
    const expired: SessionInfo[] = [];
    let junk = 0;
    let cursor = '0';
    do {
      const [next, e, x, dropped] = (await this.#run('endAll', SCRIPTS.endAll, keys, timeouts, now, [
        request.except ?? '',
        reason,
        cursor,
        String(CHUNK),
      ], principalKey)) as [string, Reply, Reply, number];
      cursor = next;
      junk += dropped;
      for (const s of this.#decode(keys, principalKey, e)) ended.push(s);
      for (const s of this.#decode(keys, principalKey, x)) expired.push(s);
    } while (cursor !== '0');
    this.#junk(keys, junk);
    this.#near?.forget(ended, expired);
    return { ended, expired };
  }

  /**
   * Ends expired sessions (R20). Only one process sweeps at a time (a lease in Redis,
   * renewed by each sweep of its holder; the others' sweeps return nothing at the cost
   * of one small script), and a sweep reads only the buckets the sweep summary names as
   * due: an idle sweep is one round trip. `limit` bounds the principals swept per call.
   */
  async sweep(request: SweepRequest): Promise<SweepOutcome> {
    const { now, timeouts, limit } = request;
    const buckets = (await this.#script('sweep', SCRIPTS.sweepBegin, [this.#layout.sweepLease, this.#layout.sweepSummary], [
      this.#origin,
      String(LEASE_MS),
      String(now),
      String(Math.min(limit, BUCKETS)),
    ])) as Reply | null;
    if (!buckets) return { expired: [] };
    if (Date.now() - this.#lastFullPass >= FULL_PASS_MS) await this.#fullPass(timeouts);
    const due: Array<{ principalKey: string; bucket: number }> = [];
    for (let i = 0; i < buckets.length && due.length < limit; i += SWEEP_BATCH) {
      const want = String(limit - due.length);
      const found = await Promise.all(
        buckets.slice(i, i + SWEEP_BATCH).map(async (b) => {
          const bucket = Number(b);
          const key = this.#layout.due(bucket);
          const members = (await this.#read('sweep', undefined, ['ZRANGE', key, '-inf', String(now), 'BYSCORE', 'LIMIT', '0', want], key)) as Reply;
          return members.map((principalKey) => ({ principalKey, bucket }));
        }),
      );
      for (const list of found) for (const d of list) if (due.length < limit) due.push(d);
    }
    const expired: SessionInfo[] = [];
    for (let i = 0; i < due.length; i += SWEEP_BATCH) {
      const found = await Promise.all(
        due.slice(i, i + SWEEP_BATCH).map(async ({ principalKey }) => {
          const keys = this.#layout.principal(principalKey);
          const [e] = (await this.#run('sweep', SCRIPTS.sweep, keys, timeouts, now, [String(SWEEP_CHUNK)], principalKey)) as [Reply, string];
          return this.#decode(keys, principalKey, e);
        }),
      );
      for (const list of found) expired.push(...list);
    }
    // Each swept bucket's summary entry becomes its head again (R20).
    await Promise.all(buckets.map((b) => this.#resetSummary(Number(b))));
    this.#near?.forget(expired);
    return { expired };
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
    this.#near?.invalidate();
    await this.#bus?.close();
    await this.#marker.settled();
    await this.#connection.close(this.#owned);
  }

  /**
   * R4: the session id now belongs to this principal. One `SET … GET` on the id's owner
   * key (its own slot, so a second step after the admission); when it named another
   * principal, the id is ended there with reason `replaced`, and that session returned.
   */
  async #claim(session: SessionInfo, timeouts: Timeouts, now: number): Promise<SessionInfo | undefined> {
    const key = this.#layout.owner(session.sessionId);
    const ttl = ownerLife(timeouts);
    const set = ['SET', key, session.principalKey, 'GET', ...(ttl === undefined ? [] : ['PX', ttl])];
    let previous: unknown;
    try {
      previous = await this.#send('admit', key, set);
    } catch (error) {
      if (!/WRONGTYPE/.test(String((error as { cause?: Error }).cause?.message ?? error))) throw error;
      this.#listeners.report(new CorruptRecordError(key, 'not an owner key written by this store (replaced)'));
      await this.#send('admit', key, ['DEL', key]);
      previous = await this.#send('admit', key, set);
    }
    if (typeof previous !== 'string' || previous === session.principalKey) return undefined;
    const keys = this.#layout.principal(previous);
    const [ended] = (await this.#run('admit', SCRIPTS.end, keys, timeouts, now, [session.sessionId, 'replaced'], previous)) as [Reply];
    const replaced = this.#decode(keys, previous, ended)[0];
    if (replaced) this.#near?.forget([replaced]);
    return replaced;
  }

  /** Lowers the sweep summary's entry of a bucket whose earliest deadline became earlier. */
  async #lowerSummary(keys: PrincipalKeys, lowered: string, timeouts: Timeouts): Promise<void> {
    if (!lowered) return;
    const ttl = ownerLife(timeouts) ?? '';
    await this.#script('admit', SCRIPTS.summary, [this.#layout.sweepSummary], ['lower', String(keys.bucket), lowered, ttl]);
  }

  /**
   * Sets a bucket's summary entry to its head after a sweep, then reads the head again
   * and lowers the entry if a write made it earlier in between (a write lowers the
   * summary only after its script, so this order never loses an earlier deadline).
   */
  async #resetSummary(bucket: number): Promise<void> {
    const due = this.#layout.due(bucket);
    const head = async () => ((await this.#read('sweep', undefined, ['ZRANGE', due, '0', '0', 'WITHSCORES'], due)) as Reply)[1] ?? '';
    const first = await head();
    await this.#script('sweep', SCRIPTS.summary, [this.#layout.sweepSummary], ['set', String(bucket), first, '']);
    const second = await head();
    if (second && (first === '' || Number(second) < Number(first))) {
      await this.#script('sweep', SCRIPTS.summary, [this.#layout.sweepSummary], ['lower', String(bucket), second, '']);
    }
  }

  /** Re-reads every bucket's head into the summary (lowering only), in pipelined batches. */
  async #fullPass(timeouts: Timeouts): Promise<void> {
    this.#lastFullPass = Date.now();
    const ttl = ownerLife(timeouts) ?? '';
    for (let start = 0; start < BUCKETS; start += 256) {
      await Promise.all(
        Array.from({ length: Math.min(256, BUCKETS - start) }, async (_, i) => {
          const due = this.#layout.due(start + i);
          const head = ((await this.#read('sweep', undefined, ['ZRANGE', due, '0', '0', 'WITHSCORES'], due)) as Reply)[1];
          if (head !== undefined) {
            await this.#script('sweep', SCRIPTS.summary, [this.#layout.sweepSummary], ['lower', String(start + i), head, ttl]);
          }
        }),
      );
    }
  }

  /**
   * Admission under a custom policy (R1 by compare-and-set): read the write counter,
   * the principal's actives (in chunks) and the candidate's tombstone; plan in
   * JavaScript with the core's `planAdmission`; apply the plan only if the counter did
   * not move, else re-read and re-plan.
   */
  async #admitOptimistic(request: AdmitRequest, keys: PrincipalKeys): Promise<AdmitOutcome> {
    const { candidate, timeouts, now } = request;
    const principalKey = candidate.principalKey;
    for (let attempt = 0; attempt < this.#options.maxRetries; attempt++) {
      const epoch = this.#near?.epoch ?? 0;
      const version = ((await this.#read('admit', keys, ['HGET', keys.sessions, ' w'])) as string | null) ?? '';
      const records: SessionInfo[] = [];
      const seen = new Set<string>();
      let junk = 0;
      let cursor = '0';
      do {
        const [next, fields] = (await this.#read('admit', keys, ['HSCAN', keys.sessions, cursor, 'COUNT', String(CHUNK)])) as [string, Reply];
        cursor = next;
        for (let i = 0; i < fields.length; i += 2) {
          const id = fields[i] as string;
          // Metadata fields (names starting with a space) are no sessions.
          if (id.startsWith(' ')) continue;
          const s = decodeRecord(fields[i + 1], principalKey);
          if (typeof s === 'string' || s.sessionId !== id) junk++;
          // Tombstones: the candidate's own counts (R3); the others are not read by planning.
          else if (!seen.has(id) && (s.state === 'active' || id === candidate.sessionId)) {
            seen.add(id);
            records.push(s);
          }
        }
      } while (cursor !== '0');
      this.#junk(keys, junk);
      records.sort(byCreation);
      let plan;
      try {
        plan = planAdmission(records, request);
      } catch (error) {
        throw toStoreError('admit', error);
      }
      const outcome = plan.outcome;
      const ends: string[] = [];
      for (const s of outcome.expired) ends.push(s.sessionId, s.endReason ?? 'idle');
      if (outcome.admitted) {
        for (const s of outcome.evicted) ends.push(s.sessionId, 'evicted');
        for (const s of outcome.replaced) ends.push(s.sessionId, 'replaced');
      }
      const admitting = outcome.admitted && !outcome.alreadyActive;
      if (!admitting && ends.length === 0) return outcome;
      const reply = (await this.#run('admit', SCRIPTS.apply, keys, timeouts, now, [
        version,
        admitting ? candidate.sessionId : '',
        admitting ? encodeRecord(candidate) : '',
        admitting ? encodeDevice(candidate.deviceId) : '',
        ...ends,
      ], principalKey)) as [string, Reply, string];
      if (reply[0] === 'ok') {
        const ended = outcome.admitted ? [...outcome.evicted, ...outcome.replaced, ...outcome.expired] : [...outcome.expired];
        this.#near?.forget(ended);
        if (!admitting || !outcome.admitted) return outcome;
        const [elsewhere] = await Promise.all([this.#claim(candidate, timeouts, now), this.#lowerSummary(keys, reply[2], timeouts)]);
        this.#remember(outcome.session, epoch);
        return elsewhere ? { ...outcome, replaced: [...outcome.replaced, elsewhere] } : outcome;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));
    }
    throw new StoreError(
      'admit',
      undefined,
      `Session store failed during "admit": the principal changed on every one of ${this.#options.maxRetries} attempts (too much contention for a custom eviction policy; built-in policies run atomically in Redis)`,
    );
  }

  /**
   * Runs a principal's script with the common arguments (scripts/README.md lists them). A
   * key of the wrong type (written by something else) makes every script fail: the
   * repair script deletes it, the store reports it, and the operation runs once more.
   */
  async #run(
    operation: string,
    script: Script,
    keys: PrincipalKeys,
    timeouts: Timeouts,
    now: number,
    extra: readonly string[],
    principalKey: string,
  ): Promise<unknown> {
    const args = [
      String(now),
      finite(timeouts.idle),
      finite(timeouts.absolute),
      String(timeouts.retention),
      String(timeouts.maxTombstones),
      principalKey,
      this.#bus ? this.#layout.channel : '',
      this.#origin,
      ...extra,
    ];
    try {
      return await this.#script(operation, script, keys.all, args);
    } catch (error) {
      if (!isWrongType(error)) throw error;
      const deleted = (await this.#script(operation, SCRIPTS.repair, keys.all, [])) as Reply;
      for (const key of deleted) this.#listeners.report(new CorruptRecordError(key, 'a value of the wrong type, not written by this store (deleted)'));
      return this.#script(operation, script, keys.all, args);
    }
  }

  async #script(operation: string, script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    if (this.#closed) throw new ClosedError('The session store');
    try {
      return await this.#connection.run(script, keys, args);
    } catch (error) {
      throw toStoreError(operation, error);
    }
  }

  /** A plain read of a principal's key; a wrong-typed key is repaired and reads as absent. */
  #read(operation: string, keys: PrincipalKeys | undefined, args: string[], route?: string): Promise<unknown> {
    return this.#send(operation, route ?? (args[1] as string), args).catch((error: unknown) => this.#readAgain(operation, keys, args, route, error));
  }

  /** After a failed read: a wrong-typed key is repaired (the read is sent again) or reads as absent. */
  async #readAgain(operation: string, keys: PrincipalKeys | undefined, args: string[], route: string | undefined, error: unknown): Promise<unknown> {
    if (!isWrongType(error)) throw error;
    if (keys) {
      const deleted = (await this.#script(operation, SCRIPTS.repair, keys.all, [])) as Reply;
      for (const key of deleted) this.#listeners.report(new CorruptRecordError(key, 'a value of the wrong type, not written by this store (deleted)'));
      return this.#send(operation, route ?? (args[1] as string), args);
    }
    this.#listeners.report(new CorruptRecordError(route ?? String(args[1]), 'a value of the wrong type, not written by this store'));
    return args[0] === 'ZRANGE' ? [] : null;
  }

  #send(operation: string, key: string, args: string[]): Promise<unknown> {
    if (this.#closed) return Promise.reject(new ClosedError('The session store'));
    // No async frame: the check's fast path goes through here (each await is a microtask turn).
    return this.#connection.send(key, args, false).catch((error: unknown) => {
      throw toStoreError(operation, error);
    });
  }

  /**
   * The admitted session as `record` (its encoding) stores it, remembered for
   * #decodeActive. Without attributes it is built from the candidate's fields (no JSON
   * round trip); attributes are decoded from the record, so the caller's object is not shared.
   */
  #stored(record: string, candidate: SessionInfo): SessionInfo | undefined {
    if (candidate.attributes !== undefined) return this.#decodeActive(record, candidate.principalKey);
    const { sessionId, principalKey, deviceId, userAgent, ip, createdAt, lastSeenAt } = candidate;
    const session = parseSessionRecord({ sessionId, principalKey, deviceId, userAgent, ip, createdAt, lastSeenAt, state: 'active' }, principalKey);
    if (typeof session === 'string') return undefined;
    this.#decoded.set(record, session);
    return session;
  }

  /**
   * An active record decoded, or `undefined` (not an active record of this principal).
   * The same stored value decodes to the same (read-only) session: a check of a session
   * whose record did not change since the last one skips JSON.parse and validation.
   */
  #decodeActive(value: string, principalKey: string): SessionInfo | undefined {
    const known = this.#decoded.get(value);
    if (known) return known.principalKey === principalKey ? known : undefined;
    const session = decodeRecord(value, principalKey);
    if (typeof session === 'string' || session.state !== 'active') return undefined;
    this.#decoded.set(value, session);
    return session;
  }

  #decode(keys: PrincipalKeys, principalKey: string, values: readonly string[]): SessionInfo[] {
    const out: SessionInfo[] = [];
    let bad: string | undefined;
    for (const value of values) {
      const session = decodeRecord(value, principalKey);
      if (typeof session === 'string') bad ??= session;
      else out.push(session);
    }
    // R18: one report per principal and operation, whatever the count.
    if (bad) this.#listeners.report(new CorruptRecordError(keys.sessions, bad));
    return out;
  }

  /** R18: junk fields dropped by an operation, reported once whatever their count. */
  #junk(keys: PrincipalKeys, count: number): void {
    if (count > 0) {
      this.#listeners.report(new CorruptRecordError(keys.sessions, `${count} field${count === 1 ? '' : 's'} not written by this store (dropped)`));
    }
  }

  #remember(session: SessionInfo, epoch: number): ActiveOutcome {
    const outcome: ActiveOutcome = { status: 'active', session };
    if (this.#near && this.#bus?.live) this.#near.remember(outcome, epoch);
    return outcome;
  }

  #remoteEnded(sessions: readonly SessionInfo[]): void {
    this.#near?.bump();
    this.#near?.forget(sessions);
    this.#listeners.ended(sessions);
  }

}

/**
 * How long an owner key (R4) must live: the session's life plus retention, with room for
 * the touch script's refresh every quarter of it (`undefined`: no expiry).
 */
function ownerLife(timeouts: Timeouts): string | undefined {
  const span = Math.min(timeouts.idle, timeouts.absolute) + timeouts.retention;
  return Number.isFinite(span) ? String(Math.ceil(span * 1.5)) : undefined;
}

function isWrongType(error: unknown): boolean {
  const text = String((error as { cause?: Error }).cause?.message ?? '') + String((error as Error).message ?? '');
  return /WRONGTYPE|not an integer/.test(text);
}

function finite(n: number): string {
  return n === Infinity ? 'inf' : String(n);
}

/** The node-redis client behind a source, and whether the store built it. */
function clientOf(source: RedisSource, timeout: number): { client: AnyRedisClient | AnyRedisCluster; built: boolean } {
  if (typeof source === 'string') {
    const client = createClient({
      url: source,
      // Fail at once while Redis is away instead of queueing (a late login would land
      // after its caller was told it failed); reconnect with a capped backoff forever.
      disableOfflineQueue: true,
      socket: { connectTimeout: timeout, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000) },
    });
    return { client: client as unknown as AnyRedisClient, built: true };
  }
  if (source && typeof source === 'object') {
    const adapter = (source as { store?: unknown }).store ?? source;
    const client = (adapter as { client?: unknown }).client ?? adapter;
    if (client && typeof (client as { sendCommand?: unknown }).sendCommand === 'function') {
      return { client: client as AnyRedisClient | AnyRedisCluster, built: false };
    }
  }
  throw new InvalidOptionError(
    'source',
    'RedisSessionStore needs a Redis URL, a node-redis client or cluster, a @keyv/redis adapter, or a Keyv instance over one',
  );
}
