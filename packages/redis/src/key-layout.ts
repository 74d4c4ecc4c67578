import { createHash } from 'node:crypto';

/**
 * How many buckets principals are spread over. A principal's keys and its bucket's
 * deadline index share one hash tag, so every script runs on one Redis Cluster slot;
 * sweeps visit the buckets' indexes instead of scanning the keyspace. Changing it moves
 * every principal to other keys, so it is fixed.
 */
export const BUCKETS = 1024;

/** The keys of one principal (all in one hash slot). */
export interface PrincipalKeys {
  /** The hash of its sessions. */
  readonly sessions: string;
  /** Its bucket's deadline index. */
  readonly due: string;
}

/**
 * The store's key layout under a prefix:
 *
 * - `<prefix>{b<bucket>}:s:<digest>`: a principal's sessions (hash: session id → record);
 * - `<prefix>{b<bucket>}:due`: the bucket's deadline index (sorted set: principal key →
 *   earliest expiry of its active sessions);
 * - `<prefix>bus`: the revocation bus channel.
 *
 * `<digest>` is the base64url SHA-256 of the principal key (first 22 characters, 132
 * bits) and `<bucket>` comes from the same digest, so a principal key — whatever it holds,
 * `a}{b` included — can neither break the hash tag nor choose it.
 */
export class KeyLayout {
  /** The revocation bus channel. */
  readonly channel: string;
  readonly #prefix: string;

  /** @param prefix - the key prefix (no `{` or `}`, so it cannot capture the hash tag). */
  constructor(prefix: string) {
    this.#prefix = prefix;
    this.channel = `${prefix}bus`;
  }

  /**
   * The keys of a principal.
   *
   * @param principalKey - the principal's key.
   */
  principal(principalKey: string): PrincipalKeys {
    const digest = createHash('sha256').update(principalKey).digest();
    const bucket = digest.readUInt16BE(0) % BUCKETS;
    const tag = `${this.#prefix}{b${bucket}}:`;
    return { sessions: `${tag}s:${digest.toString('base64url', 0, 16).slice(0, 22)}`, due: `${tag}due` };
  }

  /**
   * The deadline index of a bucket.
   *
   * @param bucket - 0 to {@link BUCKETS} - 1.
   */
  due(bucket: number): string {
    return `${this.#prefix}{b${bucket}}:due`;
  }
}
