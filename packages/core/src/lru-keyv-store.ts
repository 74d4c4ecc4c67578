import { LRUCache } from 'lru-cache';
import { InvalidOptionError } from './errors.js';
import { rejectUnknownOptions } from './unknown-options.js';

/** Options of {@link LruKeyvStore}. @public */
export interface LruKeyvStoreOptions {
  /**
   * The most entries kept; the least recently used go first past it. With the session
   * registry an entry is one principal (all of its sessions), so memory stays bounded
   * under a login flood. Default 100 000.
   */
  readonly max?: number;
}

const OPTION_NAMES: Record<keyof LruKeyvStoreOptions, true> = { max: true };

/**
 * A Keyv storage adapter over lru-cache: in-process, bounded, with per-entry TTLs.
 *
 * It exists because Keyv calls `store.set(key, value, ttl)` with the TTL as a number,
 * while lru-cache 11 takes `set(key, value, { ttl })`: handing an `LRUCache` straight to
 * Keyv silently drops every TTL (the number lands where an options object belongs).
 * This adapter translates, and keeps Keyv's adapter contract (get, set, delete, clear,
 * has, getMany, deleteMany, an `on` for errors, a `namespace`), the one keyv 6 also
 * expects.
 *
 * @public
 */
export class LruKeyvStore {
  /** Set by Keyv; keys arrive already prefixed with it. */
  namespace?: string;
  /** Options as given, for Keyv's introspection. */
  readonly opts: LruKeyvStoreOptions;
  readonly #cache: LRUCache<string, NonNullable<unknown>>;

  /** @param options - see {@link LruKeyvStoreOptions}. */
  constructor(options: LruKeyvStoreOptions = {}) {
    rejectUnknownOptions(options, Object.keys(OPTION_NAMES), 'LruKeyvStore');
    const max = options.max ?? 100_000;
    if (!Number.isInteger(max) || max < 1) throw new InvalidOptionError('max', 'must be a positive integer');
    this.opts = { max };
    this.#cache = new LRUCache({ max });
  }

  /** The number of entries held (expired ones may linger until touched or pushed out). */
  get size(): number {
    return this.#cache.size;
  }

  /**
   * @param key - the key.
   * @returns the value, or `undefined` when absent or expired.
   */
  get<T>(key: string): T | undefined {
    return this.#cache.get(key) as T | undefined;
  }

  /**
   * @param keys - the keys.
   * @returns the values, `undefined` where absent.
   */
  getMany<T>(keys: string[]): Array<T | undefined> {
    return keys.map((k) => this.get<T>(k));
  }

  /**
   * @param key - the key.
   * @param value - the value (`undefined` deletes).
   * @param ttl - time to live in milliseconds; absent or 0 for no expiry.
   */
  set(key: string, value: unknown, ttl?: number): boolean {
    if (value === undefined || value === null) return this.#cache.delete(key);
    if (typeof ttl === 'number' && ttl > 0 && Number.isFinite(ttl)) {
      this.#cache.set(key, value, { ttl });
    } else {
      this.#cache.set(key, value);
    }
    return true;
  }

  /** @param key - the key. */
  has(key: string): boolean {
    return this.#cache.has(key);
  }

  /** @param key - the key. */
  delete(key: string): boolean {
    return this.#cache.delete(key);
  }

  /** @param keys - the keys. */
  deleteMany(keys: string[]): boolean {
    let all = true;
    for (const k of keys) all = this.#cache.delete(k) && all;
    return all;
  }

  /** Removes every entry. */
  clear(): void {
    this.#cache.clear();
  }

  /** Errors cannot happen in memory; present so Keyv can subscribe. */
  on(_event: string, _listener: (...args: unknown[]) => void): this {
    return this;
  }

  /** Nothing to release. */
  disconnect(): void {}
}
