import { createHash } from 'node:crypto';

/**
 * The version of the table layout this code reads and writes, kept in `<prefix>meta`
 * under `schema_version`. A store refuses tables of a newer version.
 *
 * @public
 */
export const SCHEMA_VERSION = 1;

/**
 * The store's table names under a prefix (and schema), quoted for SQL, and the bus
 * channel.
 *
 * Layout (every key is a SHA-256 digest, so keys of any length index the same way — a
 * B-tree entry cannot exceed about 2.7 kB, and principal keys may be longer):
 *
 * - `<prefix>actives`: one row per active session; primary key `session_hash` (rule R4:
 *   a session id is active for one principal at a time), indexed by `principal_hash`
 *   (a principal's sessions), `last_seen_at` and `created_at` (expiry sweeps);
 * - `<prefix>tombstones`: one row per remembered ended session; primary key
 *   `(principal_hash, session_hash)`, indexed by `ended_at` (retention sweeps);
 * - `<prefix>meta`: `schema_version`.
 *
 * The principal key and session id are stored as `TEXT` beside their digests (and
 * checked on every read); times are milliseconds since the epoch (`BIGINT`); the rest of
 * a session (device, user agent, address, attributes) is one JSON `TEXT` column.
 */
export class TableNames {
  /** `<schema>.<prefix>actives`, quoted. */
  readonly actives: string;
  /** `<schema>.<prefix>tombstones`, quoted. */
  readonly tombstones: string;
  /** `<schema>.<prefix>meta`, quoted. */
  readonly meta: string;
  /** The schema, quoted, when one was given. */
  readonly schema: string | undefined;
  /** The `NOTIFY` channel (unquoted). */
  readonly channel: string;
  /** A short stable name of this layout, for lock ids and index names. */
  readonly base: string;
  readonly #unquoted: string;

  /**
   * @param prefix - validated table prefix.
   * @param schema - validated schema name, if any.
   */
  constructor(prefix: string, schema: string | undefined) {
    const qualify = (name: string): string => (schema ? `"${schema}"."${name}"` : `"${name}"`);
    this.actives = qualify(`${prefix}actives`);
    this.tombstones = qualify(`${prefix}tombstones`);
    this.meta = qualify(`${prefix}meta`);
    this.schema = schema ? `"${schema}"` : undefined;
    this.base = prefix;
    this.#unquoted = schema ? `${schema}.${prefix}` : prefix;
    this.channel = `${this.#unquoted}bus`;
  }

  /**
   * The advisory lock id of a principal: the first 8 bytes of SHA-256 over the layout and
   * the key, as a signed 64-bit integer literal (ours, so safe to write into SQL).
   *
   * @param principalKey - the principal's key.
   */
  lockId(principalKey: string): string {
    return createHash('sha256').update(`${this.#unquoted}\u0000${principalKey}`).digest().readBigInt64BE(0).toString();
  }

  /** The advisory lock id of the migration. */
  get migrationLockId(): string {
    return createHash('sha256').update(`${this.#unquoted}\u0000migrate`).digest().readBigInt64BE(0).toString();
  }

  /** The statements creating the tables and indexes (idempotent). */
  ddl(): string[] {
    const { actives, tombstones, meta } = this;
    const index = (name: string): string => `"${this.base}${name}"`;
    return [
      ...(this.schema ? [`CREATE SCHEMA IF NOT EXISTS ${this.schema}`] : []),
      `CREATE TABLE IF NOT EXISTS ${meta} (name TEXT PRIMARY KEY, value TEXT NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS ${actives} (
        session_hash BYTEA PRIMARY KEY,
        principal_hash BYTEA NOT NULL,
        principal_key TEXT NOT NULL,
        session_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        last_seen_at BIGINT NOT NULL,
        details TEXT NOT NULL
      )`,
      `CREATE INDEX IF NOT EXISTS ${index('actives_principal')} ON ${actives} (principal_hash)`,
      `CREATE INDEX IF NOT EXISTS ${index('actives_last_seen')} ON ${actives} (last_seen_at)`,
      `CREATE INDEX IF NOT EXISTS ${index('actives_created')} ON ${actives} (created_at)`,
      `CREATE TABLE IF NOT EXISTS ${tombstones} (
        principal_hash BYTEA NOT NULL,
        session_hash BYTEA NOT NULL,
        principal_key TEXT NOT NULL,
        session_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        last_seen_at BIGINT NOT NULL,
        ended_at BIGINT NOT NULL,
        end_reason TEXT NOT NULL,
        details TEXT NOT NULL,
        PRIMARY KEY (principal_hash, session_hash)
      )`,
      `CREATE INDEX IF NOT EXISTS ${index('tombstones_ended')} ON ${tombstones} (ended_at)`,
    ];
  }
}

/**
 * The SHA-256 digest of a key, as stored in the `*_hash` columns.
 *
 * @param key - a principal key or session id.
 */
export function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/**
 * A digest as a `bytea` SQL expression (hex digits only: safe to write into SQL, whatever
 * `standard_conforming_strings` says).
 *
 * @param hash - a digest.
 */
export function byteaLiteral(hash: Buffer): string {
  return `decode('${hash.toString('hex')}', 'hex')`;
}
