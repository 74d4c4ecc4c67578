import type { SessionInfo } from './session.js';

/**
 * Where a {@link RecordSessionStore} keeps each principal's records: one value per
 * principal, and an index from session id to the principal that last admitted it (rule
 * R4 of `docs/storage-rules.md`). The store does the locking, the planning and the
 * validation; a space only moves values. The Keyv store's space keeps `{ v: 1,
 * sessions }` under a prefixed key of a Keyv instance; the embedded store's keeps the
 * frozen records array itself in an lru-cache, under the principal key.
 *
 * Methods may return promises or plain values.
 *
 * @public
 */
export interface RecordSpace {
  /**
   * `true` when {@link get} hands back the very values {@link set} stored, in this
   * process, where nobody else can reach them (the embedded store): the store then
   * neither validates them nor keeps track of which it wrote. Default `false`.
   */
  readonly readsWhatItWrote?: boolean;
  /**
   * What to store for a principal's records (`records` is a frozen array of frozen
   * records, exactly as long as it needs to be). Keep the value small: it may be the
   * array itself.
   *
   * @param records - the principal's records, never empty.
   */
  wrap(records: readonly SessionInfo[]): unknown;
  /**
   * The records inside a value read back (possibly a deserialized copy of what
   * {@link wrap} returned, possibly junk): an array of unvalidated records, or a string
   * saying what is wrong.
   *
   * @param value - what {@link get} returned, never `undefined` or `null`.
   */
  unwrap(value: unknown): readonly unknown[] | string;
  /**
   * Reads a principal's value; `undefined` when absent or expired.
   *
   * @param principalKey - the principal's key.
   */
  get(principalKey: string): unknown;
  /**
   * Reads a principal's value synchronously, for spaces in this process's memory (it
   * lets the store answer `peek`). Absent when the backend is remote.
   *
   * @param principalKey - the principal's key.
   */
  getSync?(principalKey: string): unknown;
  /**
   * The current record of a session id, looked up by id alone, for spaces in this
   * process's memory that index records by id (one step instead of principal, then
   * record: at a million sessions each step is a cache miss). Returns the record of the
   * principal that last admitted the id, exactly as stored (the store checks its
   * principal), or `undefined`. Optional.
   *
   * @param sessionId - the session id.
   */
  getRecordSync?(sessionId: string): SessionInfo | undefined;
  /**
   * Stores a principal's value.
   *
   * @param principalKey - the principal's key.
   * @param value - what {@link wrap} returned.
   * @param ttl - milliseconds to keep it at least (`undefined`: no expiry).
   */
  set(principalKey: string, value: unknown, ttl: number | undefined): unknown;
  /**
   * Removes a principal's value.
   *
   * @param principalKey - the principal's key.
   */
  delete(principalKey: string): unknown;
  /**
   * The principal that last admitted this session id, if known (a hint: the store checks
   * that principal's records).
   *
   * @param sessionId - the session id.
   */
  getOwner(sessionId: string): string | undefined | Promise<string | undefined>;
  /**
   * Records that `principalKey` admitted this session id.
   *
   * @param sessionId - the session id.
   * @param principalKey - the principal's key.
   * @param ttl - milliseconds to keep it at least (`undefined`: no expiry).
   */
  setOwner(sessionId: string, principalKey: string, ttl: number | undefined): unknown;
  /**
   * The storage key of a principal, for error messages.
   *
   * @param principalKey - the principal's key.
   */
  describe(principalKey: string): string;
  /** Releases the backend, if the space owns it. */
  close(): unknown;
}
