import KeyvRedis, { createClient } from '@keyv/redis';
import {
  ClosedError,
  CorruptRecordError,
  InvalidOptionError,
  expiryReason,
  planAdmission,
  StoreError,
  toStoreError,
  type AdmitOutcome,
  type AdmitRequest,
  type CheckOutcome,
  type CheckRequest,
  type EndAllRequest,
  type EndOutcome,
  type EndRequest,
  type ListOutcome,
  type ListRequest,
  type SessionInfo,
  type SessionStore,
  type SweepOutcome,
  type SweepRequest,
  type Timeouts,
} from '@session-policy/core';
import type Keyv from 'keyv';
import { LRUCache } from 'lru-cache';
import { Connection, type AnyRedisClient, type AnyRedisCluster } from './connection.js';
import { BUCKETS, KeyLayout, type PrincipalKeys } from './key-layout.js';
import { resolveRedisOptions, type RedisSessionStoreOptions, type ResolvedRedisOptions } from './options.js';
import { decodeRecord, encodeRecord } from './record-codec.js';
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

type Active = { readonly status: 'active'; readonly session: SessionInfo };

const UNKNOWN: CheckOutcome = Object.freeze({ status: 'unknown' });
// Buckets whose deadline index one sweep reads per round trip batch.
const SWEEP_BATCH = 64;

/**
 * The session store for many processes sharing one Redis (single node or Redis
 * Cluster). Every operation on a principal is one Lua script, so it is atomic across
 * processes: N processes admitting logins of one user at once never leave more than
 * `maxSessions` active. The built-in eviction policies run inside the admission script
 * (through their `descriptor`); a custom policy runs in JavaScript in an optimistic
 * read / plan / compare-and-set loop (two round trips per attempt, retried under
 * contention).
 *
 * Every end is published on a revocation bus (Redis pub/sub) by the script that writes
 * it; other processes' registries emit it as an `ended` event with origin `remote`. A
 * near cache answers checks of sessions seen active in Redis within `nearCache.ttl`
 * without a round trip; bus messages invalidate it and it is bypassed while the
 * subscription is not proven live. So an ended session is refused by every process
 * within the bus's delivery time, and within `nearCache.ttl` at worst.
 *
 * Keys expire by themselves (every write sets a TTL outliving the principal's last
 * session plus tombstone retention), a principal's sessions are one hash (listing and
 * ending all cost O(its sessions)), and sweeps read per-bucket deadline indexes, never
 * the keyspace. Redis failures surface as `StoreError` (`ERR_STORE`) within
 * `commandTimeout`; the store recovers by itself when Redis is back.
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
  readonly #near: LRUCache<string, Active> | undefined;
  readonly #watchers = new Set<(ended: readonly SessionInfo[]) => void>();
  readonly #errorListeners = new Set<(error: Error) => void>();
  // Bumped whenever the near cache may have missed an end (a bus message, the bus going
  // down or up): a check answered by Redis before the bump must not be cached after it.
  #epoch = 0;
  #sweepCursor = 0;
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
      this.#report(new StoreError('connection', error)),
    );
    if (this.#options.bus) {
      this.#bus = new RevocationBus(this.#connection, this.#layout.channel, this.#options.busProbeInterval, {
        ended: (sessions) => this.#remoteEnded(sessions),
        state: () => {
          this.#epoch++;
          this.#near?.clear();
        },
        problem: (error) => this.#report(error),
      });
      void this.#bus.start();
    }
    if (this.#options.nearCache) {
      this.#near = new LRUCache<string, Active>({ max: this.#options.nearCache.max, ttl: this.#options.nearCache.ttl });
    }
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
    const epoch = this.#epoch;
    const descriptor = policy.descriptor;
    if (!descriptor) return this.#admitOptimistic(request, keys);
    const reply = (await this.#run('admit', SCRIPTS.admit, keys, principalKey, timeouts, now, [
      candidate.sessionId,
      encodeRecord(candidate),
      candidate.deviceId ?? '',
      finite(request.limit),
      request.onLimit,
      descriptor.order,
      descriptor.replaceSameDevice ? '1' : '0',
      String(descriptor.minIdle),
    ])) as [string, string, string[], string[], string[], string[], string[]];
    const [status, session, evicted, replaced, expired, holders, corrupt] = reply;
    this.#corrupt(keys.sessions, corrupt);
    const expiredSessions = this.#decode(keys.sessions, principalKey, expired);
    if (status === 'ended' || status === 'limit') {
      return {
        admitted: false,
        code: status === 'ended' ? 'ERR_SESSION_ENDED' : 'ERR_SESSION_LIMIT',
        holders: this.#decode(keys.sessions, principalKey, holders),
        limit: request.limit,
        expired: expiredSessions,
      };
    }
    const active = this.#decode(keys.sessions, principalKey, [session])[0];
    if (!active) throw new StoreError('admit', undefined, 'Redis returned an unreadable admitted session');
    const outcome: AdmitOutcome = {
      admitted: true,
      session: active,
      alreadyActive: status === 'already',
      evicted: this.#decode(keys.sessions, principalKey, evicted),
      replaced: this.#decode(keys.sessions, principalKey, replaced),
      expired: expiredSessions,
    };
    this.#forget(outcome.evicted, outcome.replaced, outcome.expired);
    this.#remember(active, epoch);
    return outcome;
  }

  /** @inheritdoc */
  async check(request: CheckRequest): Promise<CheckOutcome> {
    const hit = this.peek(request);
    if (hit) return hit;
    const { principalKey, sessionId, now, timeouts, touchInterval } = request;
    const epoch = this.#epoch;
    const keys = this.#layout.principal(principalKey);
    const [status, record, corrupt, others] = (await this.#run('check', SCRIPTS.check, keys, principalKey, timeouts, now, [
      sessionId,
      String(touchInterval),
    ])) as [string, string, string[], string[]];
    if (corrupt.length > 0) this.#corrupt(keys.sessions, corrupt);
    let expired: { expired: SessionInfo[] } | undefined;
    if (others.length > 0) {
      expired = { expired: this.#decode(keys.sessions, principalKey, others) };
      this.#forget(expired.expired);
    }
    if (status === 'unknown') return expired ? { status: 'unknown', ...expired } : UNKNOWN;
    const session = this.#decode(keys.sessions, principalKey, [record])[0];
    if (!session || session.sessionId !== sessionId) return expired ? { status: 'unknown', ...expired } : UNKNOWN;
    if (status === 'active') return expired ? { ...this.#remember(session, epoch), ...expired } : this.#remember(session, epoch);
    if (status === 'expired') this.#forget([session]);
    return { status: 'ended', session, expiredNow: status === 'expired', ...expired };
  }

  /**
   * Answers from the near cache, while the bus is proven live, for an active session
   * with no touch or expiry due; `undefined` otherwise (the registry then calls
   * {@link check}, one round trip).
   */
  peek(request: CheckRequest): CheckOutcome | undefined {
    const near = this.#near;
    if (!near || !this.#bus?.live) return undefined;
    const { principalKey, sessionId, now, timeouts, touchInterval } = request;
    const hit = near.get(cacheKey(principalKey, sessionId));
    if (hit && now - hit.session.lastSeenAt < touchInterval && expiryReason(hit.session, timeouts, now) === undefined) return hit;
    return undefined;
  }

  /** @inheritdoc */
  async list(request: ListRequest): Promise<ListOutcome> {
    const { principalKey, now, timeouts } = request;
    const keys = this.#layout.principal(principalKey);
    const [sessions, expired, corrupt] = (await this.#run('list', SCRIPTS.list, keys, principalKey, timeouts, now, [])) as [
      string[],
      string[],
      string[],
    ];
    this.#corrupt(keys.sessions, corrupt);
    const outcome = {
      sessions: this.#decode(keys.sessions, principalKey, sessions).sort(byCreated),
      expired: this.#decode(keys.sessions, principalKey, expired),
    };
    this.#forget(outcome.expired);
    return outcome;
  }

  /** @inheritdoc */
  async end(request: EndRequest): Promise<EndOutcome> {
    return this.#end('end', request, 'one', request.sessionId);
  }

  /** @inheritdoc */
  async endAll(request: EndAllRequest): Promise<EndOutcome> {
    return this.#end('endAll', request, 'all', request.except ?? '');
  }

  /**
   * Ends expired sessions of principals whose earliest deadline has passed, read from the
   * buckets' deadline indexes (1024 small sorted sets, read 64 per batch of pipelined
   * commands; never a keyspace scan). `limit` bounds the principals swept per call; the
   * next call resumes at the next bucket.
   */
  async sweep(request: SweepRequest): Promise<SweepOutcome> {
    const { now, timeouts, limit } = request;
    const due: string[] = [];
    let scanned = 0;
    while (scanned < BUCKETS && due.length < limit) {
      const batch: number[] = [];
      for (let i = 0; i < SWEEP_BATCH && scanned < BUCKETS; i++, scanned++) {
        batch.push(this.#sweepCursor);
        this.#sweepCursor = (this.#sweepCursor + 1) % BUCKETS;
      }
      const want = String(limit - due.length);
      const replies = await Promise.all(
        batch.map(async (bucket) => {
          const key = this.#layout.due(bucket);
          try {
            return (await this.#send('sweep', key, ['ZRANGEBYSCORE', key, '-inf', String(now), 'LIMIT', '0', want])) as string[];
          } catch (error) {
            if (error instanceof StoreError && /WRONGTYPE/.test(String((error.cause as Error | undefined)?.message))) {
              this.#report(new CorruptRecordError(key, 'not a deadline index'));
              return [];
            }
            throw error;
          }
        }),
      );
      for (const members of replies) for (const m of members) if (due.length < limit) due.push(m);
    }
    const expired: SessionInfo[] = [];
    for (let i = 0; i < due.length; i += SWEEP_BATCH) {
      const found = await Promise.all(
        due.slice(i, i + SWEEP_BATCH).map(async (principalKey) => {
          const keys = this.#layout.principal(principalKey);
          const [e, corrupt] = (await this.#run('sweep', SCRIPTS.sweep, keys, principalKey, timeouts, now, [])) as [string[], string[]];
          this.#corrupt(keys.sessions, corrupt);
          return this.#decode(keys.sessions, principalKey, e);
        }),
      );
      for (const list of found) expired.push(...list);
    }
    this.#forget(expired);
    return { expired };
  }

  /** @inheritdoc */
  watch(listener: (ended: readonly SessionInfo[]) => void): () => void {
    this.#watchers.add(listener);
    return () => this.#watchers.delete(listener);
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
    this.#near?.clear();
    await this.#bus?.close();
    await this.#connection.close(this.#owned);
  }

  async #end(operation: string, request: ListRequest & { reason: string }, mode: 'one' | 'all', id: string): Promise<EndOutcome> {
    const { principalKey, now, timeouts, reason } = request;
    const keys = this.#layout.principal(principalKey);
    const [ended, expired, corrupt] = (await this.#run(operation, SCRIPTS.end, keys, principalKey, timeouts, now, [mode, id, reason])) as [
      string[],
      string[],
      string[],
    ];
    this.#corrupt(keys.sessions, corrupt);
    const outcome = {
      ended: this.#decode(keys.sessions, principalKey, ended),
      expired: this.#decode(keys.sessions, principalKey, expired),
    };
    this.#forget(outcome.ended, outcome.expired);
    return outcome;
  }

  /**
   * Admission under a custom policy: read the principal, plan in JavaScript with the
   * core's `planAdmission`, write only if nobody wrote in between (compare-and-set on the
   * principal's write counter, in a script), else re-read and re-plan.
   */
  async #admitOptimistic(request: AdmitRequest, keys: PrincipalKeys): Promise<AdmitOutcome> {
    const { candidate, timeouts, now } = request;
    const principalKey = candidate.principalKey;
    for (let attempt = 0; attempt < this.#options.maxRetries; attempt++) {
      const epoch = this.#epoch;
      const [version, ids, values, corrupt] = (await this.#run('admit', SCRIPTS.load, keys, principalKey, timeouts, now, [])) as [
        string,
        string[],
        string[],
        string[],
      ];
      this.#corrupt(keys.sessions, corrupt);
      const records: SessionInfo[] = [];
      values.forEach((value, i) => {
        const session = decodeRecord(value, principalKey);
        if (typeof session === 'string' || session.sessionId !== ids[i]) {
          this.#report(new CorruptRecordError(`${keys.sessions} ${String(ids[i])}`, typeof session === 'string' ? session : 'id mismatch'));
        } else records.push(session);
      });
      records.sort(byCreated);
      let plan;
      try {
        plan = planAdmission(records, request);
      } catch (error) {
        throw toStoreError('admit', error);
      }
      if (!plan.changed) return plan.outcome;
      const outcome = plan.outcome;
      const ended = outcome.admitted ? [...outcome.evicted, ...outcome.replaced, ...outcome.expired] : [...outcome.expired];
      const args = [version, String(ended.length), ...ended.map(encodeRecord)];
      for (const r of plan.records) args.push(r.sessionId, encodeRecord(r));
      const result = await this.#run('admit', SCRIPTS.apply, keys, principalKey, timeouts, now, args);
      if (result === 'ok') {
        this.#forget(ended);
        if (outcome.admitted) this.#remember(outcome.session, epoch);
        return outcome;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));
    }
    throw new StoreError(
      'admit',
      undefined,
      `Session store failed during "admit": the principal changed on every one of ${this.#options.maxRetries} attempts (too much contention for a custom eviction policy; built-in policies run atomically in Redis)`,
    );
  }

  async #run(
    operation: string,
    script: Script,
    keys: PrincipalKeys,
    principalKey: string,
    timeouts: Timeouts,
    now: number,
    extra: readonly string[],
  ): Promise<unknown> {
    if (this.#closed) throw new ClosedError('The session store');
    const args = [
      String(now),
      finite(timeouts.idle),
      finite(timeouts.absolute),
      String(timeouts.retention),
      String(timeouts.maxTombstones),
      principalKey,
      this.#bus ? this.#layout.channel : '',
      this.#bus?.origin ?? '',
      ...extra,
    ];
    try {
      return await this.#connection.run(script, [keys.sessions, keys.due], args);
    } catch (error) {
      throw toStoreError(operation, error);
    }
  }

  async #send(operation: string, key: string, args: string[]): Promise<unknown> {
    if (this.#closed) throw new ClosedError('The session store');
    try {
      return await this.#connection.send(key, args, false);
    } catch (error) {
      throw toStoreError(operation, error);
    }
  }

  #decode(key: string, principalKey: string, values: readonly string[]): SessionInfo[] {
    const out: SessionInfo[] = [];
    for (const value of values) {
      const session = decodeRecord(value, principalKey);
      if (typeof session === 'string') this.#report(new CorruptRecordError(key, session));
      else out.push(session);
    }
    return out;
  }

  #corrupt(key: string, fields: readonly string[]): void {
    for (const field of fields) {
      this.#report(new CorruptRecordError(field === '*' ? key : `${key} field ${field}`, 'not a session record written by this store'));
    }
  }

  #remember(session: SessionInfo, epoch: number): Active {
    const outcome: Active = { status: 'active', session };
    if (this.#near && epoch === this.#epoch && this.#bus?.live) this.#near.set(cacheKey(session.principalKey, session.sessionId), outcome);
    return outcome;
  }

  #forget(...lists: ReadonlyArray<readonly SessionInfo[]>): void {
    const near = this.#near;
    if (!near) return;
    for (const list of lists) for (const s of list) near.delete(cacheKey(s.principalKey, s.sessionId));
  }

  #remoteEnded(sessions: readonly SessionInfo[]): void {
    this.#epoch++;
    this.#forget(sessions);
    for (const listener of this.#watchers) listener(sessions);
  }

  #report(error: Error): void {
    for (const listener of this.#errorListeners) listener(error);
  }
}

function cacheKey(principalKey: string, sessionId: string): string {
  return `${principalKey}\n${sessionId}`;
}

function finite(n: number): string {
  return n === Infinity ? 'inf' : String(n);
}

function byCreated(a: SessionInfo, b: SessionInfo): number {
  return a.createdAt - b.createdAt || (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0);
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
