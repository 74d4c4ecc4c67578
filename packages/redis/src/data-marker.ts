import { randomUUID } from 'node:crypto';
import { SessionPolicyError } from '@session-policy/core';
import type { AnyRedisCluster, Connection } from './connection.js';

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

/** How often every marker is read again besides reconnects, in milliseconds. */
export const MARKER_INTERVAL = 5000;
/** Candidate hash tags asked about at once when a master has no marker key yet. */
const TAG_BATCH = 16;
/** The most candidate tags ever asked about (a cluster of up to a few hundred masters). */
const MAX_TAGS = 4096;

/**
 * The data-loss detector: marker keys shared by every process of a prefix. The first
 * check of a key writes it (`SET NX`, a random value) and remembers the value; each later
 * check reads it again. Missing, or another value (another process found it missing first
 * and wrote a new one): the data was lost, reported once per check, and the new value
 * adopted.
 *
 * On a single Redis there is one key, `<prefix>data-marker`. On a cluster a master can
 * lose its data alone (restarted without persistence, flushed, failed over to a replica
 * that missed writes), so there is one key per master: `<prefix>{m<i>}data-marker`, the
 * lowest `i` whose slot (asked once with `CLUSTER KEYSLOT`) that master serves in the
 * client's slot map; every key this process wrote is read again on each check, so a
 * master that moved its slots elsewhere still counts. Checked on every reconnect, when
 * the bus comes back, and every {@link MARKER_INTERVAL} (node-redis reports a cluster
 * node's first `ready` only, not its reconnects).
 */
export class DataMarker {
  readonly #connection: Connection;
  readonly #prefix: string;
  readonly #report: (error: Error) => void;
  // Marker key → the value this process last read there.
  readonly #known = new Map<string, string>();
  // Cluster: the slot of candidate tag `m<i>`, at index i (never changes).
  readonly #tagSlots: number[] = [];
  readonly #timer: NodeJS.Timeout;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  /**
   * @param connection - the store's connection.
   * @param prefix - the store's key prefix.
   * @param report - where a {@link DataLostError} goes.
   */
  constructor(connection: Connection, prefix: string, report: (error: Error) => void) {
    this.#connection = connection;
    this.#prefix = prefix;
    this.#report = report;
    this.#timer = setInterval(() => this.check(), MARKER_INTERVAL);
    this.#timer.unref();
  }

  /** Checks the markers in the background (coalesced); never rejects. */
  check(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#check()
      .catch(() => undefined) // Redis (or a master) unreachable: the next check reads it again.
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.check();
        }
      });
  }

  /** Stops checking; resolves once no check is running (for close). */
  async settled(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#again = false;
    await this.#running;
  }

  async #check(): Promise<void> {
    const keys = this.#connection.isCluster ? await this.#clusterKeys() : [`${this.#prefix}data-marker`];
    const lost: string[] = [];
    // Each key on its own: a master that does not answer leaves the others checked.
    await Promise.all(keys.map((key) => this.#checkKey(key, lost).catch(() => undefined)));
    if (lost.length > 0) this.#report(new DataLostError(lost.sort()[0] as string));
  }

  async #checkKey(key: string, lost: string[]): Promise<void> {
    let value = (await this.#connection.send(key, ['GET', key], false)) as string | null;
    if (value === null) {
      await this.#connection.send(key, ['SET', key, randomUUID(), 'NX'], false);
      value = (await this.#connection.send(key, ['GET', key], false)) as string | null;
      if (value === null) return;
    }
    const known = this.#known.get(key);
    this.#known.set(key, value);
    if (known !== undefined && known !== value) lost.push(key);
  }

  /** The keys to read: one in a slot of each master of the slot map, and every key known. */
  async #clusterKeys(): Promise<string[]> {
    const cluster = this.#connection.client as AnyRedisCluster;
    const keyOf = (i: number): string => `${this.#prefix}{m${i}}data-marker`;
    const keys = new Set(this.#known.keys());
    if (this.#tagSlots.length === 0) await this.#askSlots(keyOf); // connects the client, too
    for (;;) {
      const shards = cluster.slots;
      const masters = new Set<string>();
      for (const shard of new Set(shards)) if (shard?.master) masters.add(shard.master.address);
      for (let i = 0; i < this.#tagSlots.length && masters.size > 0; i++) {
        const address = shards[this.#tagSlots[i] as number]?.master?.address;
        if (address !== undefined && masters.delete(address)) keys.add(keyOf(i));
      }
      if (masters.size === 0 || this.#tagSlots.length >= MAX_TAGS) return [...keys];
      await this.#askSlots(keyOf);
    }
  }

  async #askSlots(keyOf: (i: number) => string): Promise<void> {
    const from = this.#tagSlots.length;
    const slots = await Promise.all(
      Array.from({ length: TAG_BATCH }, (_, j) => this.#connection.send(undefined, ['CLUSTER', 'KEYSLOT', keyOf(from + j)], true)),
    );
    if (this.#tagSlots.length === from) this.#tagSlots.push(...slots.map(Number));
  }
}
