import Keyv from 'keyv';
import { KeyvSessionStore } from './keyv-store.js';
import { LruKeyvStore } from './lru-keyv-store.js';

/** Options of {@link createMemoryStore}. @public */
export interface MemoryStoreOptions {
  /**
   * The most principals kept in memory; past it the least recently used principal's
   * sessions are forgotten (its devices are then bounced as unknown sessions). Bounds
   * memory under a login flood. Default 100 000.
   */
  readonly maxPrincipals?: number;
}

/**
 * The embedded default store: a Keyv instance over a bounded lru-cache, in this process,
 * with no serialization (records are kept as frozen objects). Zero setup; nothing is
 * shared between processes.
 *
 * @param options - see {@link MemoryStoreOptions}.
 * @public
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): KeyvSessionStore {
  const lru = new LruKeyvStore({ max: options.maxPrincipals ?? 100_000 });
  const keyv = new Keyv({
    store: lru,
    namespace: '',
    useKeyPrefix: false,
    serialize: undefined,
    deserialize: undefined,
  });
  // Keyv keeps values unserialized here, in its envelope `{ value, expires }`.
  const readSync = (key: string): unknown => {
    const entry = lru.get<{ value: unknown; expires?: number | null }>(key);
    if (!entry || (typeof entry.expires === 'number' && entry.expires < Date.now())) return undefined;
    return entry.value;
  };
  return new KeyvSessionStore(keyv, { closeKeyv: true, readSync, name: 'memory' });
}
