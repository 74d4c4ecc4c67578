import type { RedisClientType, RedisClusterType } from '@keyv/redis';
import { Deadlines } from './deadlines.js';
import type { Script } from './scripts.js';

/** A node-redis client or cluster client, whatever its modules and RESP version. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRedisClient = RedisClientType<any, any, any, any, any>;
/** A node-redis cluster client, whatever its modules and RESP version. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRedisCluster = RedisClusterType<any, any, any, any, any>;

/** Where a {@link Connection} reports problems that are not an operation's failure. */
export type ProblemListener = (error: Error) => void;

/**
 * The listeners every {@link Connection} over one client needs, added to the client once
 * however many connections (stores) use it, and removed when the last one closes: a
 * client the application owns is left exactly as it was found, and 20 stores over one
 * client add one `error` listener, not 20 (no `MaxListenersExceededWarning`).
 */
class ClientListeners {
  static readonly #byClient = new WeakMap<object, ClientListeners>();
  readonly #client: AnyRedisClient | AnyRedisCluster;
  readonly #cluster: boolean;
  readonly #members = new Set<Connection>();
  #waiters: Array<() => void> = [];
  readonly #onError = (error: Error): void => {
    for (const member of this.#members) member._problem(error);
  };
  readonly #onReady = (): void => {
    for (const member of this.#members) member._ready();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  };

  private constructor(client: AnyRedisClient | AnyRedisCluster, cluster: boolean) {
    this.#client = client;
    this.#cluster = cluster;
  }

  /** The listeners of `client`, with `member` added (the first member attaches them). */
  static join(client: AnyRedisClient | AnyRedisCluster, cluster: boolean, member: Connection): ClientListeners {
    let hub = ClientListeners.#byClient.get(client);
    if (!hub) {
      hub = new ClientListeners(client, cluster);
      ClientListeners.#byClient.set(client, hub);
      // node-redis throws 'error' events nobody listens to: without this, a lost
      // connection would crash the process.
      client.on('error', hub.#onError);
      client.on('ready', hub.#onReady);
      if (cluster) {
        client.on('node-error', hub.#onError);
        client.on('node-ready', hub.#onReady);
      }
    }
    hub.#members.add(member);
    return hub;
  }

  /** Removes `member`; the last one leaving takes the listeners off the client. */
  leave(member: Connection): void {
    if (!this.#members.delete(member) || this.#members.size > 0) return;
    ClientListeners.#byClient.delete(this.#client);
    this.#client.off('error', this.#onError);
    this.#client.off('ready', this.#onReady);
    if (this.#cluster) {
      this.#client.off('node-error', this.#onError);
      this.#client.off('node-ready', this.#onReady);
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves on the client's next `ready` (one listener for every waiting operation). */
  nextReady(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/**
 * The store's use of one node-redis client or cluster: connecting once, sending commands
 * that fail fast (never queued while Redis is away, never awaited longer than the
 * command timeout), and running Lua scripts by SHA with a fallback to the source when a
 * node does not have them (a fresh, restarted or newly promoted node; on a cluster,
 * `EVAL` goes to the same slot's node, so each node loads the scripts it is asked for).
 *
 * On a client it did not create, {@link Connection.close} leaves no trace: no listener,
 * no timer, no slot-map refresh still running.
 */
export class Connection {
  /** Whether this is a cluster client. */
  readonly isCluster: boolean;
  readonly #client: AnyRedisClient | AnyRedisCluster;
  readonly #deadlines: Deadlines;
  readonly #report: ProblemListener;
  readonly #listeners: ClientListeners;
  readonly #readyListeners: Array<() => void> = [];
  #connecting: Promise<unknown> | undefined;
  #ready: Promise<void> | undefined;
  #reported = false;
  #closed = false;

  /**
   * @param client - the client (connected or not; it is connected on first use).
   * @param timeout - the command timeout, in milliseconds.
   * @param report - where connection errors go (once per outage).
   */
  constructor(client: AnyRedisClient | AnyRedisCluster, timeout: number, report: ProblemListener) {
    this.#client = client;
    this.isCluster = isCluster(client);
    this.#deadlines = new Deadlines(timeout);
    this.#report = report;
    this.#listeners = ClientListeners.join(client, this.isCluster, this);
  }
  /** The client (for the revocation bus to duplicate). */
  get client(): AnyRedisClient | AnyRedisCluster {
    return this.#client;
  }

  /**
   * Runs a script on the node holding `keys[0]`.
   *
   * @param script - the script.
   * @param keys - its keys (all in one hash slot).
   * @param args - its arguments.
   */
  async run(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    // TRYAGAIN: a cluster slot is being migrated and this script's keys are split between
    // the two nodes for a moment; nothing was written, so a short retry is safe.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#runOnce(script, keys, args);
      } catch (error) {
        if (attempt >= 3 || !(error instanceof Error) || !error.message.startsWith('TRYAGAIN')) throw error;
        await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt));
      }
    }
  }

  async #runOnce(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const tail = [String(script.numKeys), ...keys, ...args];
    try {
      return await this.send(keys[0], ['EVALSHA', script.sha, ...tail], false);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.send(keys[0], ['EVAL', script.source, ...tail], false);
    }
  }


  /**
   * Sends one command, failing within the command timeout.
   *
   * @param firstKey - the key that routes it on a cluster.
   * @param args - the command and its arguments.
   * @param readonly - whether it only reads (a cluster may send it to a replica).
   */
  async send(firstKey: string | undefined, args: string[], readonly: boolean): Promise<unknown> {
    await this.#connect();
    // No node-redis `timeout` option: it builds an AbortSignal.timeout per command (see
    // Deadlines for the cost); one deadline FIFO per connection bounds the wait instead.
    const reply = this.isCluster
      ? (this.#client as AnyRedisCluster).sendCommand(firstKey, readonly, args)
      : (this.#client as AnyRedisClient).sendCommand(args);
    try {
      return await this.#deadlines.watch(reply, args[0] ?? 'command');
    } catch (error) {
      if (this.isCluster && !isDataError(error)) rediscover(this.#client as AnyRedisCluster);
      throw error;
    }
  }

  /**
   * Detaches from the client: removes this connection's listeners and waits for any
   * slot-map refresh it started (one finishing after the client is destroyed would
   * connect new node clients nobody closes). Destroys the client only when `owned`.
   *
   * @param owned - whether the store created the client (or was told to close it).
   */
  async close(owned: boolean): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.leave(this);
    if (!owned) {
      await settled(this.#client);
      return;
    }
    const connecting = this.#connecting;
    await destroyClient(this.#client);
    await connecting?.catch(() => undefined);
  }

  /** From {@link ClientListeners}: the client reported an error. */
  _problem(error: Error): void {
    this.#problem(error);
  }

  /** From {@link ClientListeners}: the client (or a cluster node) is ready again. */
  _ready(): void {
    this.#reported = false;
    for (const listener of this.#readyListeners) listener();
  }

  /**
   * Calls `listener` each time the client (or, on a cluster, one of its nodes) gets
   * ready: after connecting and after every reconnect.
   *
   * @param listener - the listener.
   */
  onReady(listener: () => void): void {
    this.#readyListeners.push(listener);
  }

  /**
   * Resolves once the client can take commands: connects it on first use, and while it
   * is (re)connecting waits for it at most the command timeout, so nothing is ever
   * queued for a Redis that is away.
   */
  async #connect(): Promise<void> {
    if (this.#closed) throw new Error('the connection is closed');
    const client = this.#client;
    // A cluster client is open as soon as its connect() begins, before it knows the slots.
    if (this.isCluster ? client.isOpen && !this.#connecting : (client as AnyRedisClient).isReady) return;
    if (!client.isOpen && !this.#connecting) {
      const connecting = (client.connect() as Promise<unknown>).finally(() => {
        if (this.#connecting === connecting) this.#connecting = undefined;
      });
      connecting.catch((error: unknown) => this.#problem(error as Error));
      this.#connecting = connecting;
    }
    if (this.isCluster) {
      await this.#deadlines.watch(this.#connecting ?? Promise.resolve(), 'connect');
      return;
    }
    this.#ready ??= this.#listeners.nextReady().then(() => {
      this.#ready = undefined;
    });
    await this.#deadlines.watch(this.#ready, 'connect (Redis is unreachable or reconnecting)');
  }

  #problem(error: Error): void {
    if (this.#reported) return;
    this.#reported = true;
    this.#report(error);
  }
}

const REDISCOVER_INTERVAL = 250;
const lastRediscovery = new WeakMap<object, number>();
const rediscovering = new WeakMap<object, Promise<void>>();

/**
 * Refreshes a cluster client's slot map, at most once per 250 ms per client. node-redis
 * refreshes it only on MOVED or ASK, which a dead master never sends: after a failover
 * its slots would stay routed to the dead address for good. So any failure that is not
 * about the data (timeout, closed socket, CLUSTERDOWN) asks the cluster again where the
 * slots are. `_slots.rediscover` is node-redis's own refresh (public in its types,
 * internal by name: watch it when upgrading node-redis). The refresh in flight is
 * remembered: {@link settled} waits for it before a client is given back or destroyed.
 *
 * @param cluster - a node-redis cluster client.
 */
export function rediscover(cluster: AnyRedisCluster): void {
  if (!cluster.isOpen) return;
  const now = Date.now();
  if (now - (lastRediscovery.get(cluster) ?? 0) < REDISCOVER_INTERVAL) return;
  lastRediscovery.set(cluster, now);
  const internals = cluster as unknown as {
    _slots?: { rediscover?: (start: { options?: unknown }) => Promise<void> };
    _options?: { rootNodes?: readonly unknown[] };
  };
  const slots = internals._slots;
  // Start from a connected master; without one (minimizeConnections, or all down) from a
  // root node: when the first node fails, node-redis tries every root node in turn.
  const start = cluster.masters.find((m) => m.client?.isReady)?.client ?? { options: internals._options?.rootNodes?.[0] };
  if (typeof slots?.rediscover !== 'function' || !start.options) return;
  const running = slots.rediscover(start).catch(() => undefined);
  rediscovering.set(cluster, running);
  void running.finally(() => {
    if (rediscovering.get(cluster) === running) rediscovering.delete(cluster);
  });
}

/**
 * Resolves once no slot-map refresh started by {@link rediscover} is running on the
 * client. node-redis's refresh connects the node clients of the new map when it ends,
 * even if the cluster client was destroyed meanwhile: those would reconnect forever and
 * keep the process alive.
 *
 * @param client - a client.
 */
export async function settled(client: AnyRedisClient | AnyRedisCluster): Promise<void> {
  for (let running = rediscovering.get(client); running; running = rediscovering.get(client)) await running;
}

/**
 * Destroys a client this package created (a store's own client, a bus subscriber),
 * including node clients a refresh still running connects after the first destroy.
 *
 * @param client - the client.
 */
export async function destroyClient(client: AnyRedisClient | AnyRedisCluster): Promise<void> {
  destroyQuietly(client);
  if (!rediscovering.has(client)) return;
  await settled(client);
  destroyQuietly(client);
}

function destroyQuietly(client: AnyRedisClient | AnyRedisCluster): void {
  try {
    client.destroy();
  } catch {
    // already closed
  }
}

/** Errors about the data or the script, not about where the slot is. */
function isDataError(error: unknown): boolean {
  return error instanceof Error && /^(NOSCRIPT|WRONGTYPE|ERR |BUSY|OOM|TRYAGAIN)/.test(error.message);
}

/**
 * Whether a client is a node-redis cluster client.
 *
 * @param client - a client.
 */
export function isCluster(client: object): client is AnyRedisCluster {
  return typeof (client as { getMasters?: unknown }).getMasters === 'function';
}
