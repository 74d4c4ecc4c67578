import { randomUUID } from 'node:crypto';
import type { SessionInfo } from '@session-policy/core';
import type { AnyRedisClient, AnyRedisCluster, Connection } from './connection.js';
import { decodeRecord } from './record-codec.js';

/** What the bus tells the store. */
export interface BusEvents {
  /** Sessions ended by another process. */
  readonly ended: (sessions: readonly SessionInfo[]) => void;
  /** The subscription may have missed messages (`false`), or is proven live again (`true`). */
  readonly state: (live: boolean) => void;
  /** A problem (lost subscription, unreadable message). */
  readonly problem: (error: Error) => void;
}

/**
 * The revocation bus: classic Redis pub/sub on one channel. The store's scripts
 * `PUBLISH` every end inside the same atomic step that writes it, so no end can be
 * written without being announced. A message is `<origin>\n<record>\n<record>…`; the
 * process whose origin it carries ignores it.
 *
 * Liveness: the subscription counts as live only once a probe this process published
 * has come back through it. It is marked down on any error, reconnect or end of the
 * subscriber connection, and probed again every `probeInterval` until it is back. While
 * down, the store bypasses its near cache (a message may have been missed).
 */
export class RevocationBus {
  /** This process's origin id (in every message it publishes). */
  readonly origin = randomUUID();
  readonly #connection: Connection;
  readonly #channel: string;
  readonly #events: BusEvents;
  readonly #probeInterval: number;
  #subscriber: AnyRedisClient | AnyRedisCluster | undefined;
  #live = false;
  #probe = '';
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #started: Promise<void> | undefined;

  /**
   * @param connection - the store's connection (duplicated for the subscription).
   * @param channel - the channel.
   * @param probeInterval - how often to probe while down (ms).
   * @param events - where to report.
   */
  constructor(connection: Connection, channel: string, probeInterval: number, events: BusEvents) {
    this.#connection = connection;
    this.#channel = channel;
    this.#probeInterval = probeInterval;
    this.#events = events;
  }

  /** Whether the subscription is proven live (no message can have been missed since). */
  get live(): boolean {
    return this.#live;
  }

  /** Starts subscribing in the background; never rejects (problems are reported). */
  start(): Promise<void> {
    this.#started ??= this.#subscribe().catch((error: unknown) => {
      this.#events.problem(error as Error);
    });
    this.#schedule();
    return this.#started;
  }

  async #subscribe(): Promise<void> {
    const subscriber = this.#connection.client.duplicate() as AnyRedisClient | AnyRedisCluster;
    this.#subscriber = subscriber;
    const down = (error?: Error): void => {
      if (error && this.#live) this.#events.problem(error);
      this.#down();
    };
    subscriber.on('error', down);
    subscriber.on('reconnecting', () => down());
    subscriber.on('end', () => down());
    await subscriber.connect();
    if (this.#closed) return;
    await subscriber.subscribe(this.#channel, (message: string) => this.#message(message));
    this.#sendProbe();
  }

  #message(message: string): void {
    const newline = message.indexOf('\n');
    if (newline < 0) return;
    const origin = message.slice(0, newline);
    if (origin === this.origin) return;
    const body = message.slice(newline + 1);
    if (origin === `probe:${this.origin}`) {
      if (body === this.#probe) this.#up();
      return;
    }
    if (origin.startsWith('probe:')) return;
    const sessions: SessionInfo[] = [];
    for (const line of body.split('\n')) {
      const session = decodeRecord(line);
      if (typeof session === 'string') {
        this.#events.problem(new Error(`Ignored an unreadable revocation message on ${this.#channel}: ${session}`));
        continue;
      }
      sessions.push(session);
    }
    if (sessions.length > 0) this.#events.ended(sessions);
  }

  #down(): void {
    this.#probe = '';
    if (this.#live) {
      this.#live = false;
      this.#events.state(false);
    }
    this.#schedule();
  }

  #up(): void {
    this.#probe = '';
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (!this.#live) {
      this.#live = true;
      this.#events.state(true);
    }
  }

  #schedule(): void {
    if (this.#timer || this.#closed) return;
    this.#sendProbe();
    this.#timer = setInterval(() => this.#sendProbe(), this.#probeInterval);
    this.#timer.unref();
  }

  #sendProbe(): void {
    if (this.#closed || this.#live) return;
    this.#probe = randomUUID();
    this.#connection
      .send(undefined, ['PUBLISH', this.#channel, `probe:${this.origin}\n${this.#probe}`], false)
      .catch(() => undefined);
  }

  /** Unsubscribes and closes the subscriber connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#live = false;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const subscriber = this.#subscriber;
    if (subscriber?.isOpen) {
      try {
        subscriber.destroy();
      } catch {
        // already closed
      }
    }
    await this.#started;
  }
}
