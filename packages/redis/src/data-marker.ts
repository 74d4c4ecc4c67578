import { randomUUID } from 'node:crypto';
import { SessionPolicyError } from '@session-policy/core';
import type { Connection } from './connection.js';

/**
 * Redis lost the store's data: the marker key every store writes when it starts is gone
 * (or was written anew) when a store reconnects, so Redis restarted empty, was flushed, or
 * failed over to a replica without the data. Every session and every tombstone written
 * before may be gone: revoked sessions answer `unknown` (refused), but an app that lets
 * clients choose their session id (a token's `jti`) could see an ended id admitted again.
 * Emitted through the store's (and registry's) `error` event, once per loss and process.
 * Run Redis with persistence when revocations must survive a restart (see
 * `docs/many-processes.md`, "Data loss").
 *
 * @public
 */
export class DataLostError extends SessionPolicyError<'ERR_STORE_DATA_LOST'> {
  /** The marker key that was found missing or changed. */
  readonly key: string;

  /** @param key - the marker key. */
  constructor(key: string) {
    super(
      'ERR_STORE_DATA_LOST',
      `Redis lost the session store's data (the marker key ${key} is gone or was written anew): sessions and revocations written before are gone. Run Redis with persistence (appendonly yes) if revocations must survive a restart.`,
    );
    this.key = key;
  }
}

/**
 * The data-loss detector: one marker key shared by every process of a prefix. The first
 * check writes it (`SET NX`, a random value) and remembers the value; each later check
 * (after a reconnect, or when the bus comes back) reads it again. Missing, or another
 * value (another process found it missing first and wrote a new one): the data was lost,
 * reported once, and the new value is adopted.
 */
export class DataMarker {
  readonly #connection: Connection;
  readonly #key: string;
  readonly #report: (error: Error) => void;
  #known: string | undefined;
  #running: Promise<void> | undefined;
  #again = false;

  /**
   * @param connection - the store's connection.
   * @param key - the marker key.
   * @param report - where a {@link DataLostError} goes.
   */
  constructor(connection: Connection, key: string, report: (error: Error) => void) {
    this.#connection = connection;
    this.#key = key;
    this.#report = report;
  }

  /** Checks the marker in the background (coalesced); never rejects. */
  check(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#check()
      .catch(() => undefined) // Redis unreachable: the next reconnect checks again.
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.check();
        }
      });
  }

  /** Resolves once no check is running (for close). */
  async settled(): Promise<void> {
    this.#again = false;
    await this.#running;
  }

  async #check(): Promise<void> {
    const key = this.#key;
    let value = (await this.#connection.send(key, ['GET', key], false)) as string | null;
    if (value === null) {
      await this.#connection.send(key, ['SET', key, randomUUID(), 'NX'], false);
      value = (await this.#connection.send(key, ['GET', key], false)) as string | null;
      if (value === null) return;
    }
    const known = this.#known;
    this.#known = value;
    if (known !== undefined && known !== value) this.#report(new DataLostError(key));
  }
}
