import type Keyv from 'keyv';
import { InvalidOptionError } from './errors.js';
import type { RecordSpace } from './record-space.js';
import { RecordSessionStore } from './record-store.js';
import type { SessionInfo } from './session.js';
import { rejectUnknownOptions } from './unknown-options.js';

/** Options of {@link KeyvSessionStore}. @public */
export interface KeyvSessionStoreOptions {
  /** Prefix of this store's keys inside the Keyv namespace. Default `'sp:'`. */
  readonly prefix?: string;
  /** Close the Keyv instance (`disconnect`) when the store is closed. Default `false`. */
  readonly closeKeyv?: boolean;
  /**
   * Reads a key's stored value synchronously, for a backend in this process's memory:
   * enables {@link RecordSessionStore.peek}, so most request checks need no promise.
   * Return `undefined` for absent or expired keys.
   */
  readonly readSync?: (key: string) => unknown;
  /** The store's name, for logs and benchmarks. Default `'keyv'`. */
  readonly name?: string;
}

/** What is stored under one principal's key. */
interface PrincipalBlob {
  readonly v: 1;
  readonly sessions: readonly SessionInfo[];
}

// Session ids' index keys: the separator is a control character, which principal keys
// never contain, so an index key can never be a principal's key.
const OWNER = '\u001fid\u001f';

/** A {@link RecordSpace} over a Keyv instance: `{ v: 1, sessions }` under `prefix + principalKey`. */
class KeyvSpace implements RecordSpace {
  readonly #keyv: Keyv;
  readonly #prefix: string;
  readonly #closeKeyv: boolean;
  readonly getSync?: (principalKey: string) => unknown;

  constructor(keyv: Keyv, options: KeyvSessionStoreOptions) {
    this.#keyv = keyv;
    this.#prefix = options.prefix ?? 'sp:';
    this.#closeKeyv = options.closeKeyv ?? false;
    const readSync = options.readSync;
    if (readSync) this.getSync = (principalKey) => readSync(this.#prefix + principalKey);
    // A backend failure must surface as ERR_STORE, never as a silent "no session".
    keyv.throwOnErrors = true;
  }

  wrap(records: readonly SessionInfo[]): unknown {
    return Object.freeze({ v: 1, sessions: records });
  }

  unwrap(value: unknown): readonly unknown[] | string {
    const blob = value as Partial<PrincipalBlob>;
    if (typeof value !== 'object' || blob.v !== 1 || !Array.isArray(blob.sessions)) return 'not a principal record';
    return blob.sessions;
  }

  get(principalKey: string): Promise<unknown> {
    return this.#keyv.get(this.#prefix + principalKey);
  }

  set(principalKey: string, value: unknown, ttl: number | undefined): Promise<unknown> {
    return this.#keyv.set(this.#prefix + principalKey, value, ttl);
  }

  delete(principalKey: string): Promise<unknown> {
    return this.#keyv.delete(this.#prefix + principalKey);
  }

  async getOwner(sessionId: string): Promise<string | undefined> {
    const owner: unknown = await this.#keyv.get(this.#prefix + OWNER + sessionId);
    return typeof owner === 'string' ? owner : undefined;
  }

  setOwner(sessionId: string, principalKey: string, ttl: number | undefined): Promise<unknown> {
    return this.#keyv.set(this.#prefix + OWNER + sessionId, principalKey, ttl);
  }

  describe(principalKey: string): string {
    return this.#prefix + principalKey;
  }

  async close(): Promise<void> {
    if (this.#closeKeyv) await this.#keyv.disconnect?.();
  }
}

/**
 * A session store over any Keyv instance: one key per principal holding all of its
 * sessions, with a TTL that outlives the last of them, so the backend forgets them by
 * itself, and one small key per session id naming its principal (rule R4).
 *
 * Atomicity: operations on one principal are serialized **within this process** (a
 * per-principal lock), so two concurrent logins of one user with a limit of 1 end with
 * exactly one active session. **Across processes nothing is atomic**: two processes
 * sharing a Redis or Postgres through Keyv can both admit a login and overshoot the
 * limit, and a touch can overwrite an end written by another process. Use the Redis store
 * (`@session-policy/redis`) when several processes share sessions.
 *
 * The store sets `throwOnErrors` on the Keyv instance: a backend failure must surface as
 * `ERR_STORE`, never as a silent "no session".
 *
 * @public
 */
export class KeyvSessionStore extends RecordSessionStore {
  /**
   * @param keyv - any Keyv instance (its namespace and serialization are respected).
   * @param options - see {@link KeyvSessionStoreOptions}.
   */
  constructor(keyv: Keyv, options: KeyvSessionStoreOptions = {}) {
    super(new KeyvSpace(keyv, checkOptions(keyv, options)), options.name ?? 'keyv');
  }
}

const OPTION_NAMES: Record<keyof KeyvSessionStoreOptions, true> = { prefix: true, closeKeyv: true, readSync: true, name: true };

function checkOptions(keyv: Keyv, options: KeyvSessionStoreOptions): KeyvSessionStoreOptions {
  const given = keyv as Partial<Keyv> | null | undefined;
  if (given === null || typeof given !== 'object' || typeof given.get !== 'function' || typeof given.set !== 'function') {
    throw new InvalidOptionError('keyv', 'must be a Keyv instance (new KeyvSessionStore(new Keyv(…)))');
  }
  rejectUnknownOptions(options, Object.keys(OPTION_NAMES), 'KeyvSessionStore');
  if (options.prefix !== undefined && typeof options.prefix !== 'string') throw new InvalidOptionError('prefix', 'must be a string');
  if (options.closeKeyv !== undefined && typeof options.closeKeyv !== 'boolean') throw new InvalidOptionError('closeKeyv', 'must be true or false');
  if (options.readSync !== undefined && typeof options.readSync !== 'function') throw new InvalidOptionError('readSync', 'must be a function (key) => value');
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) throw new InvalidOptionError('name', 'must be a non-empty string');
  return options;
}
