import { randomUUID } from 'node:crypto';
import { StoreError, type SessionInfo } from '@session-policy/core';
import { destroyClient, isCluster, rediscover, type AnyRedisClient, type AnyRedisCluster, type Connection } from './connection.js';
import { decodeRecord } from './record-codec.js';

/** Unanswered probes after which the subscriber connection is replaced. */
const RESUBSCRIBE_AFTER = 3;

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
  // Whether #subscriber has subscribed (probes before that cannot come back).
  #subscribed = false;
  #live = false;
  #probe = '';
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #started: Promise<void> | undefined;
  // Probes sent since the subscription was last proven live.
  #unanswered = 0;

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
      this.#events.problem(new StoreError('bus', error));
    });
    this.#schedule();
    return this.#started;
  }

  async #subscribe(): Promise<void> {
    const subscriber = this.#connection.client.duplicate() as AnyRedisClient | AnyRedisCluster;
    this.#subscriber = subscriber;
    this.#subscribed = false;
    const down = (error?: Error): void => {
      if (subscriber !== this.#subscriber) return;
      if (error && this.#live) this.#events.problem(new StoreError('bus', error));
      this.#down();
    };
    subscriber.on('error', down);
    subscriber.on('reconnecting', () => down());
    subscriber.on('end', () => down());
    // A cluster client reports its nodes' failures as node events only; any of them may be
    // the node holding the subscription, so each one sends the bus back to probing.
    if (isCluster(subscriber)) {
      subscriber.on('node-error', down);
      subscriber.on('node-reconnecting', () => down());
    }
    try {
      await subscriber.connect();
      if (!this.#closed && subscriber === this.#subscriber) {
        await subscriber.subscribe(this.#channel, (message: string) => this.#message(message));
      }
    } finally {
      // Closed, or replaced by a newer subscriber, while this one was connecting.
      if (this.#closed || subscriber !== this.#subscriber) await destroyClient(subscriber);
    }
    if (subscriber !== this.#subscriber || this.#closed) return;
    this.#subscribed = true;
    this.#unanswered = 0;
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

  #resubscribe(): void {
    this.#unanswered = 0;
    const previous = this.#subscriber;
    this.#subscriber = undefined;
    if (previous) void destroyClient(previous);
    this.#started = this.#subscribe().catch((error: unknown) => {
      this.#events.problem(new StoreError('bus', error));
    });
  }

  #up(): void {
    this.#unanswered = 0;
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
    // Probes keep going unanswered, or the subscriber never got to subscribe (the
    // subscriber's node died and the client does not move the subscription, or it is
    // stuck reconnecting): start over with a new one.
    if (++this.#unanswered > RESUBSCRIBE_AFTER) {
      this.#resubscribe();
      return;
    }
    // Until the subscription exists a probe cannot come back.
    if (!this.#subscribed) return;
    // A subscription on a cluster node that died moves to a live node only when the
    // subscriber's own slot map is refreshed.
    if (this.#unanswered > 1 && this.#subscriber && isCluster(this.#subscriber)) rediscover(this.#subscriber);
    this.#probe = randomUUID();
    this.#connection
      .send(undefined, ['PUBLISH', this.#channel, `probe:${this.origin}\n${this.#probe}`], false)
      .catch(() => undefined);
  }

  /**
   * Closes the subscriber connection (and any slot-map refresh still running on it),
   * stops probing. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#live = false;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const subscriber = this.#subscriber;
    if (subscriber) await destroyClient(subscriber);
    await this.#started;
  }
}
