import { randomUUID } from 'node:crypto';
import { StoreError, type SessionInfo } from '@session-policy/core';
import { BusLiveness, type BusReports } from '@session-policy/core/store';
import pg from 'pg';
import { decodeMessage, encodeProbe, type SessionRef } from './bus-message.js';
import type { Database } from './database.js';

/** What the bus tells the store. */
export interface BusEvents extends BusReports {
  /** Sessions ended by another process (`refs`: too big for a payload, to be read). */
  readonly ended: (sessions: readonly SessionInfo[], refs: readonly SessionRef[]) => void;
}

/**
 * The revocation bus on `LISTEN`/`NOTIFY`: the store's transactions `pg_notify` every end
 * they write, so the notification is delivered exactly when (and only if) the end
 * commits. One dedicated connection (made with the pool's settings, outside the pool)
 * listens; the process whose origin a message carries ignores it.
 *
 * Liveness ({@link BusLiveness}, as the Redis bus): the subscription counts as live only
 * once a probe this process sent through the pool has come back on the listening
 * connection. It is marked down on any error or end of that connection, and probed every
 * `probeInterval` until it is back; a connection that is gone, or leaves four probes
 * in a row unanswered, is replaced. While down, the store bypasses its near cache (a message may
 * have been missed).
 */
export class RevocationBus {
  /** This process's origin id (in every message it publishes). */
  readonly origin = randomUUID();
  readonly #database: Database;
  readonly #channel: string;
  readonly #events: BusEvents;
  readonly #liveness: BusLiveness;
  #listener: pg.Client | undefined;
  // The listening connection: opening, listening, or gone (failed, ended, timed out).
  #state: 'opening' | 'listening' | 'gone' = 'gone';
  #started: Promise<void> | undefined;

  /**
   * @param database - the store's pool (its settings make the listening connection).
   * @param channel - the channel.
   * @param probeInterval - how often to probe while down (ms).
   * @param events - where to report.
   */
  constructor(database: Database, channel: string, probeInterval: number, events: BusEvents) {
    this.#database = database;
    this.#channel = channel;
    this.#events = events;
    this.#liveness = new BusLiveness(probeInterval, events);
  }

  /** Whether the subscription is proven live (no message can have been missed since). */
  get live(): boolean {
    return this.#liveness.live;
  }

  /** Starts listening in the background; never rejects (problems are reported). */
  start(): Promise<void> {
    this.#started ??= this.#subscribe();
    this.#schedule();
    return this.#started;
  }

  async #subscribe(): Promise<void> {
    const pool = this.#database.pool as pg.Pool & { options?: pg.ClientConfig; Client?: typeof pg.Client };
    const Client = pool.Client ?? pg.Client;
    const listener = new Client(pool.options ?? {});
    this.#listener = listener;
    this.#state = 'opening';
    const down = (error?: Error): void => {
      if (listener !== this.#listener) return;
      this.#state = 'gone';
      this.#liveness.lost(error);
      this.#schedule();
    };
    listener.on('error', down);
    listener.on('end', () => down());
    listener.on('notification', (message) => {
      if (listener === this.#listener && message.channel === this.#channel) this.#message(message.payload ?? '');
    });
    const timeout = this.#database.timeout;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        listener.connect(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`the LISTEN connection did not open within ${timeout} ms`)), timeout).unref();
        }),
      ]);
      if (this.#liveness.closed || listener !== this.#listener) throw new Error('replaced');
      await listener.query(`LISTEN "${this.#channel.replaceAll('"', '""')}"`);
      this.#state = 'listening';
      this.#sendProbe();
    } catch (error) {
      listener.end().catch(() => undefined);
      if (listener === this.#listener && !this.#liveness.closed) {
        this.#state = 'gone';
        this.#events.problem(new StoreError('bus', error));
        this.#liveness.down();
        this.#schedule();
      }
    } finally {
      clearTimeout(timer);
    }
  }

  #message(payload: string): void {
    const message = decodeMessage(payload);
    if (typeof message === 'string') {
      this.#events.problem(new Error(`Ignored an unreadable revocation message on ${this.#channel}: ${message}`));
      return;
    }
    if (message.kind === 'probe') {
      // Proven live: no more probes until it goes down again.
      if (message.origin === this.origin && this.#liveness.heard(message.token)) this.#liveness.stop();
      return;
    }
    if (message.origin === this.origin) return;
    this.#events.ended(message.sessions, message.refs);
  }

  /** Probes every `probeInterval` (until one comes back). */
  #schedule(): void {
    this.#liveness.every(() => this.#sendProbe());
  }

  #resubscribe(): void {
    this.#liveness.fresh();
    const previous = this.#listener;
    this.#listener = undefined;
    previous?.end().catch(() => undefined);
    this.#started = this.#subscribe();
  }

  #sendProbe(): void {
    if (this.#liveness.closed || this.#liveness.live) return;
    // Still opening: its own timeout ends that.
    if (this.#state === 'opening') return;
    // The listening connection is gone (pg clients do not reconnect), or probes keep
    // going unanswered (only a probe still awaited counts as missed, as on Redis): start
    // over with a new one.
    if (this.#state === 'gone' || (this.#liveness.awaiting && this.#liveness.miss())) {
      this.#resubscribe();
      return;
    }
    const token = this.#liveness.probe();
    this.#database.query('SELECT pg_notify($1, $2)', [this.#channel, encodeProbe(this.origin, token)]).catch(() => undefined);
  }

  /** Stops listening and closes the listening connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#liveness.closed) return;
    this.#liveness.close();
    const listener = this.#listener;
    this.#listener = undefined;
    await this.#started;
    await listener?.end().catch(() => undefined);
  }
}
