import { LRUCache } from 'lru-cache';
import { InvalidOptionError } from './errors.js';
import { rejectUnknownOptions } from './unknown-options.js';
import type { RecordSpace } from './record-space.js';
import { RecordSessionStore } from './record-store.js';
import type { SessionInfo } from './session.js';

/** Options of {@link createMemoryStore}. @public */
export interface MemoryStoreOptions {
  /**
   * The most principals kept in memory; past it the least recently written principal's
   * sessions are forgotten (its devices are then bounced as unknown sessions). A session
   * in use is written about once a second (the request times the store recorded in
   * memory are folded into its record), so this is the least recently used. Bounds
   * memory under a login flood. Default 100 000.
   */
  readonly maxPrincipals?: number;
}

type Records = readonly SessionInfo[];

/**
 * The embedded store's {@link RecordSpace}: an lru-cache whose key is the principal key
 * itself and whose value is the principal's frozen, exact-size records array (no
 * envelope, no wrapper, no second copy of the key), and a map from session id to the
 * current record of the principal that last admitted it: the index R4 needs, which also
 * answers a check in one step. It follows every write and every entry the cache drops.
 *
 * Reads do not reorder the cache (`peek`) and entries carry no TTL: a read then touches
 * no memory but the entry's own (at a million sessions each extra line is a cache miss
 * per check); recency follows writes, which include every session in use about once a
 * second; and expiry and retention are the store's own rules (R7, R13), applied on every
 * read.
 */
class LruSpace implements RecordSpace {
  readonly readsWhatItWrote = true;
  readonly #cache: LRUCache<string, Records>;
  readonly #byId = new Map<string, SessionInfo>();
  #incoming: Records | undefined;

  constructor(max: number) {
    this.#cache = new LRUCache<string, Records>({
      max,
      dispose: (old, principalKey, reason) => this.#disposed(old, principalKey, reason === 'set' ? this.#incoming : undefined),
    });
  }

  wrap(records: Records): unknown {
    return records;
  }

  unwrap(value: unknown): readonly unknown[] | string {
    return Array.isArray(value) ? value : 'not a records array';
  }

  get(principalKey: string): unknown {
    return this.#cache.peek(principalKey);
  }

  getSync(principalKey: string): unknown {
    return this.#cache.peek(principalKey);
  }

  set(principalKey: string, value: unknown): void {
    const records = value as Records;
    this.#incoming = records;
    this.#cache.set(principalKey, records);
    this.#incoming = undefined;
    // The index points at the records now stored (ids another principal admitted since stay theirs).
    for (const r of records) {
      const current = this.#byId.get(r.sessionId);
      if (current !== undefined && current !== r && current.principalKey === principalKey) this.#byId.set(r.sessionId, r);
    }
  }

  delete(principalKey: string): void {
    this.#cache.delete(principalKey);
  }

  getOwner(sessionId: string): string | undefined {
    return this.#byId.get(sessionId)?.principalKey;
  }

  getRecordSync(sessionId: string): SessionInfo | undefined {
    return this.#byId.get(sessionId);
  }

  setOwner(sessionId: string, principalKey: string): void {
    const record = this.#cache.peek(principalKey)?.find((r) => r.sessionId === sessionId);
    if (record) this.#byId.set(sessionId, record);
  }

  describe(principalKey: string): string {
    return principalKey;
  }

  close(): void {
    this.#cache.clear();
    this.#byId.clear();
  }

  /** Drops the index entries of the ids a principal no longer holds (forgotten, evicted, expired). */
  #disposed(old: Records, principalKey: string, next: Records | undefined): void {
    // A set only for big principals: a linear search is cheaper for a few sessions.
    const kept = next && next.length > 8 ? new Set(next.map((r) => r.sessionId)) : undefined;
    for (const r of old) {
      if (kept ? kept.has(r.sessionId) : next?.some((n) => n.sessionId === r.sessionId)) continue;
      if (this.#byId.get(r.sessionId)?.principalKey === principalKey) this.#byId.delete(r.sessionId);
    }
  }
}

const OPTION_NAMES: Record<keyof MemoryStoreOptions, true> = { maxPrincipals: true };

/**
 * The embedded default store: a {@link RecordSessionStore} over a bounded lru-cache, in
 * this process, with no serialization (records are kept as frozen objects). Zero setup;
 * nothing is shared between processes.
 *
 * @param options - see {@link MemoryStoreOptions}.
 * @public
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): RecordSessionStore {
  rejectUnknownOptions(options, Object.keys(OPTION_NAMES), 'createMemoryStore()');
  const max = options.maxPrincipals ?? 100_000;
  if (!Number.isInteger(max) || max < 1) throw new InvalidOptionError('maxPrincipals', 'must be a positive integer');
  return new RecordSessionStore(new LruSpace(max), 'memory');
}
