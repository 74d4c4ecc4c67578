import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/**
 * How many buckets principals are spread over. A principal's keys and its bucket's
 * deadline index share one hash tag, so every script runs on one Redis Cluster slot;
 * sweeps visit only the buckets the sweep summary names as due. Changing it moves every
 * principal to other keys, so it is fixed.
 */
export const BUCKETS = 1024;

/**
 * The layout version, part of every key name (`…:v2:…`). A later layout uses new names,
 * so it can read this one's keys to migrate them.
 */
export const LAYOUT_VERSION = 2;

/**
 * The keys of one principal (all in one hash slot), in the order every script takes
 * them as `KEYS[1..6]`.
 */
export interface PrincipalKeys {
  /**
   * Records: hash, session id → record, active or ended (a session's tombstone replaces
   * its active record in place), plus metadata fields whose names start with a space
   * (session ids are visible ASCII): `' w'` the write counter (the compare-and-set
   * version of the custom-policy path), `' d'` the deadline its bucket's index holds for
   * it (so a write whose deadline is already bounded reads nothing more).
   */
  readonly sessions: string;
  /** Last-seen order of the active sessions: sorted set, session id → lastSeenAt. */
  readonly lastSeen: string;
  /** Creation order of the active sessions: sorted set, session id → createdAt. */
  readonly created: string;
  /** Devices of the active sessions: sorted set (score 0), `<deviceId>\n<sessionId>`. */
  readonly devices: string;
  /** Tombstone order: sorted set, session id → endedAt. */
  readonly endedOrder: string;
  /** Its bucket's deadline index: sorted set, principal key → earliest deadline (a lower bound). */
  readonly due: string;
  /** The six keys above, in script order (not enumerable: `Object.values` lists the names above). */
  readonly all: readonly string[];
  /** Its bucket number (not enumerable). */
  readonly bucket: number;
}

/**
 * The store's key layout under a prefix (see `docs/redis-cluster.md`, "Key layout"):
 *
 * - `<prefix>{b<bucket>}:v2:<kind>:<digest>`: a principal's keys, `<kind>` one of
 *   `r` (records: actives and tombstones, and the metadata), `l` (last seen), `c`
 *   (created), `d` (devices), `e` (tombstone order);
 * - `<prefix>{b<bucket>}:v2:due`: the bucket's deadline index;
 * - `<prefix>{sweep}:v2:due` and `<prefix>{sweep}:v2:lease`: the sweep summary (bucket →
 *   a lower bound of its earliest deadline) and the sweepers' lease;
 * - `<prefix>{o<digest>}:v2:owner`: which principal a session id belongs to (one slot per id);
 * - `<prefix>bus`: the revocation bus channel.
 *
 * `<digest>` is the base64url SHA-256 of the principal key (22 characters, 132 bits) and
 * `<bucket>` comes from the same digest, so a principal key — whatever it holds, `a}{b`
 * included — can neither break the hash tag nor choose it. Digests are cached per
 * principal (hashing costs microseconds per call).
 */
export class KeyLayout {
  /** The revocation bus channel. */
  readonly channel: string;
  /** The sweep summary (bucket → lower bound of its earliest deadline). */
  readonly sweepSummary: string;
  /** The sweepers' lease. */
  readonly sweepLease: string;
  readonly #prefix: string;
  readonly #cache = new LRUCache<string, PrincipalKeys>({ max: 10_000 });

  /** @param prefix - the key prefix (no `{` or `}`, so it cannot capture the hash tag). */
  constructor(prefix: string) {
    this.#prefix = prefix;
    this.channel = `${prefix}bus`;
    this.sweepSummary = `${prefix}{sweep}:v${LAYOUT_VERSION}:due`;
    this.sweepLease = `${prefix}{sweep}:v${LAYOUT_VERSION}:lease`;
  }

  /**
   * The keys of a principal.
   *
   * @param principalKey - the principal's key.
   */
  principal(principalKey: string): PrincipalKeys {
    const cached = this.#cache.get(principalKey);
    if (cached) return cached;
    const digest = createHash('sha256').update(principalKey).digest();
    const bucket = digest.readUInt16BE(0) % BUCKETS;
    const tag = `${this.#prefix}{b${bucket}}:v${LAYOUT_VERSION}:`;
    const d = digest.toString('base64url', 0, 17).slice(0, 22);
    const sessions = `${tag}r:${d}`;
    const lastSeen = `${tag}l:${d}`;
    const created = `${tag}c:${d}`;
    const devices = `${tag}d:${d}`;
    const endedOrder = `${tag}e:${d}`;
    const due = `${tag}due`;
    const keys = { sessions, lastSeen, created, devices, endedOrder, due } as PrincipalKeys;
    // Not enumerable: Object.values(keys) lists the key names only.
    Object.defineProperties(keys, {
      all: { value: Object.freeze([sessions, lastSeen, created, devices, endedOrder, due]) },
      bucket: { value: bucket },
    });
    Object.freeze(keys);
    this.#cache.set(principalKey, keys);
    return keys;
  }

  /**
   * The deadline index of a bucket.
   *
   * @param bucket - 0 to {@link BUCKETS} - 1.
   */
  due(bucket: number): string {
    return `${this.#prefix}{b${bucket}}:v${LAYOUT_VERSION}:due`;
  }

  /**
   * The key naming the principal a session id belongs to (its own slot).
   *
   * @param sessionId - the session id.
   */
  owner(sessionId: string): string {
    const d = createHash('sha256').update(sessionId).digest('base64url').slice(0, 22);
    return `${this.#prefix}{o${d}}:v${LAYOUT_VERSION}:owner`;
  }
}
