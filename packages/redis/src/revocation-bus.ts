import { randomUUID } from 'node:crypto';
import { StoreError, type SessionInfo } from '@session-policy/core';
import { BusLiveness, type BusReports } from '@session-policy/core/store';
import { destroyClient, isCluster, rediscover, type AnyRedisClient, type AnyRedisCluster, type Connection } from './connection.js';
import { decodeRecord } from './record-codec.js';

/** What the bus tells the store. */
export interface BusEvents extends BusReports {
  /** Sessions ended by another process. */
  readonly ended: (sessions: readonly SessionInfo[]) => void;
}

/**
 * The revocation bus: classic Redis pub/sub on one channel. The store's scripts
 * `PUBLISH` every end inside the same atomic step that writes it, so no end can be
 * written without being announced. A message is `<origin>\n<record>\n<record>…`; the
 * process whose origin it carries ignores it.
 *
 * Liveness ({@link BusLiveness}): a heartbeat through the subscription itself. Every
 * `probeInterval` the bus publishes a beat on a channel of its own
 * (`<channel>:beat:<origin>`), which the same subscriber connection listens to, so each
 * process hears its own beats and nobody else's. The subscription counts as live only
 * once a beat came back; a beat still unheard when the next one is due marks it down (so
 * a subscription that stays open but silently stops delivering is noticed within two
 * intervals), as does any error, reconnect or end of the subscriber connection. While
 * down, the store bypasses its near cache (a message may have been missed) and an
 * `error` is reported; beats go on until one comes back, and after four missed in a row
 * the subscriber connection is replaced.
 */
export class RevocationBus {
  /** This process's origin id (in every message it publishes). */
  readonly origin = randomUUID();
  readonly #connection: Connection;
  readonly #channel: string;
  readonly #beatChannel: string;
  readonly #events: BusEvents;
  readonly #probeInterval: number;
  // The beat in flight and the beats missed in a row (or intervals spent without a subscription).
  readonly #liveness: BusLiveness;
  #subscriber: AnyRedisClient | AnyRedisCluster | undefined;
  // Whether #subscriber has subscribed (beats before that cannot come back).
  #subscribed = false;
  #started: Promise<void> | undefined;

  /**
   * @param connection - the store's connection (duplicated for the subscription).
   * @param channel - the channel.
   * @param probeInterval - the heartbeat interval (ms).
   * @param events - where to report.
   */
  constructor(connection: Connection, channel: string, probeInterval: number, events: BusEvents) {
    this.#connection = connection;
    this.#channel = channel;
    this.#beatChannel = `${channel}:beat:${this.origin}`;
    this.#probeInterval = probeInterval;
    this.#events = events;
    this.#liveness = new BusLiveness(probeInterval, events);
  }

  /** Whether the subscription is proven live (no message can have been missed since). */
  get live(): boolean {
    return this.#liveness.live;
  }

  /** Starts subscribing and beating in the background; never rejects (problems are reported). */
  start(): Promise<void> {
    this.#started ??= this.#subscribe().catch((error: unknown) => {
      this.#events.problem(new StoreError('bus', error));
    });
    this.#liveness.every(() => this.#tick());
    return this.#started;
  }

  async #subscribe(): Promise<void> {
    const subscriber = this.#connection.client.duplicate() as AnyRedisClient | AnyRedisCluster;
    this.#subscriber = subscriber;
    this.#subscribed = false;
    const down = (error?: Error): void => {
      // The subscriber connection failed, reconnects or ended: down until a beat comes back.
      if (subscriber === this.#subscriber) this.#liveness.lost(error);
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
      if (!this.#liveness.closed && subscriber === this.#subscriber) {
        await subscriber.subscribe([this.#channel, this.#beatChannel], (message: string, channel: string) =>
          channel === this.#beatChannel ? this.#heard(message) : this.#message(message),
        );
      }
    } finally {
      // Closed, or replaced by a newer subscriber, while this one was connecting.
      if (this.#liveness.closed || subscriber !== this.#subscriber) await destroyClient(subscriber);
    }
    if (subscriber !== this.#subscriber || this.#liveness.closed) return;
    this.#subscribed = true;
    this.#liveness.fresh();
    this.#sendBeat();
  }

  #message(message: string): void {
    const newline = message.indexOf('\n');
    if (newline < 0) return;
    const origin = message.slice(0, newline);
    if (origin === this.origin) return;
    // Probes of versions before the heartbeat channel.
    if (origin.startsWith('probe:')) return;
    const body = message.slice(newline + 1);
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

  /** A beat came back through the subscription. */
  #heard(beat: string): void {
    if (!this.#liveness.closed) this.#liveness.heard(beat);
  }

  #resubscribe(): void {
    this.#liveness.fresh();
    this.#subscribed = false;
    const previous = this.#subscriber;
    this.#subscriber = undefined;
    if (previous) void destroyClient(previous);
    this.#started = this.#subscribe().catch((error: unknown) => {
      this.#events.problem(new StoreError('bus', error));
    });
  }

  /** Every `probeInterval`: judge the last beat, then send the next one. */
  #tick(): void {
    if (this.#liveness.closed) return;
    if (this.#liveness.awaiting || !this.#subscribed) {
      // The last beat did not come back within an interval (or there is no subscription).
      const replace = this.#liveness.miss();
      if (this.#liveness.down()) {
        this.#events.problem(
          new StoreError('bus', new Error(`the revocation bus delivered no heartbeat for ${this.#probeInterval} ms: subscription presumed lost`)),
        );
      }
      // Beats keep going unheard, or the subscriber never got to subscribe (its node died
      // and the client does not move the subscription, it is stuck reconnecting, or the
      // connection is open but delivers nothing): start over with a new one.
      if (replace) {
        this.#resubscribe();
        return;
      }
      // A subscription on a cluster node that died moves to a live node only when the
      // subscriber's own slot map is refreshed.
      if (this.#subscribed && this.#liveness.missed > 1 && this.#subscriber && isCluster(this.#subscriber)) rediscover(this.#subscriber);
    }
    this.#sendBeat();
  }

  #sendBeat(): void {
    if (this.#liveness.closed || !this.#subscribed) return;
    const beat = this.#liveness.probe();
    this.#connection.send(undefined, ['PUBLISH', this.#beatChannel, beat], false).catch(() => undefined);
  }

  /**
   * Closes the subscriber connection (and any slot-map refresh still running on it),
   * stops probing. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#liveness.closed) return;
    this.#liveness.close();
    const subscriber = this.#subscriber;
    if (subscriber) await destroyClient(subscriber);
    await this.#started;
  }
}
