import { randomUUID } from 'node:crypto';
import { createClient, type RedisClientType } from '@keyv/redis';
import { InvalidOptionError, rejectUnknownOptions, type SessionCoordinator, type SharedCooldown, type SharedSession } from '@session-policy/client';
import { Sealer } from './sealer.js';
import { SCRIPTS, type Script } from './scripts.js';

/**
 * A node-redis client (`createClient` from `@keyv/redis`), whatever its modules and RESP
 * version.
 *
 * @public
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRedisClient = RedisClientType<any, any, any, any, any>;

/**
 * Options of {@link RedisCoordinator}.
 *
 * @public
 */
export interface RedisCoordinatorOptions {
  /**
   * The Redis to share: a URL (`redis://127.0.0.1:6379`; the coordinator then owns the
   * connection and closes it in `close()`) or a node-redis client (`createClient` from
   * `@keyv/redis`; connected on first use if it is not, and left open by `close()`).
   * One more connection is opened for the notifications (pub/sub).
   */
  readonly redis: string | AnyRedisClient;
  /**
   * The key that seals session material (cookies, tokens) with AES-256-GCM before it is
   * stored: 32 bytes, as a `Uint8Array`/`Buffer` or a base64 string
   * (`openssl rand -base64 32`). Give every process the same key; keep it out of Redis.
   */
  readonly encryptionKey: Uint8Array | string;
  /** The prefix of every key and of the channel. Default `session-policy:client:`. */
  readonly prefix?: string;
  /**
   * How long one command may take, in milliseconds, before it fails (and the keeper's or
   * pool's call with `ERR_COORDINATOR`): a Redis that is away never leaves callers
   * waiting. Default 2 000.
   */
  readonly commandTimeout?: number;
}

const OPTION_NAMES = Object.keys({ redis: true, encryptionKey: true, prefix: true, commandTimeout: true } satisfies Record<keyof RedisCoordinatorOptions, true>);

/**
 * A {@link SessionCoordinator} on Redis, for keepers and pools in several processes (or
 * machines): shared sessions are hashes written by compare-and-set in Lua, sealed with
 * AES-256-GCM; the login lock and the pool caps are sorted sets of leased permits, timed
 * by the Redis server's clock; cooldowns are keys that expire; notifications travel on
 * one pub/sub channel.
 *
 * @example
 * ```ts
 * const coordinator = new RedisCoordinator({ redis: process.env.REDIS_URL!, encryptionKey: process.env.SESSION_KEY! });
 * await coordinator.connect();
 * const keeper = new SessionKeeper({ strategy, coordinator });
 * // …
 * await keeper.close();
 * await coordinator.close();
 * ```
 * @public
 */
export class RedisCoordinator implements SessionCoordinator {
  readonly #client: AnyRedisClient;
  readonly #owned: boolean;
  readonly #sealer: Sealer;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #watchers = new Map<string, Set<() => void>>();
  readonly #timeout: number;
  #subscriber: AnyRedisClient | undefined;
  #connecting: Promise<void> | undefined;
  #closed = false;

  /** @param options - see {@link RedisCoordinatorOptions}. */
  constructor(options: RedisCoordinatorOptions) {
    const given = options ?? ({} as RedisCoordinatorOptions);
    rejectUnknownOptions(given, OPTION_NAMES, 'RedisCoordinator');
    const { redis, encryptionKey, prefix = 'session-policy:client:', commandTimeout = 2_000 } = given;
    if (!(typeof commandTimeout === 'number' && commandTimeout > 0 && Number.isFinite(commandTimeout))) {
      throw new InvalidOptionError('commandTimeout', 'must be a finite number of milliseconds > 0');
    }
    this.#timeout = commandTimeout;
    if (typeof redis === 'string') {
      if (!/^rediss?:\/\//.test(redis)) throw new InvalidOptionError('redis', 'must be a redis:// or rediss:// URL, or a node-redis client');
      this.#client = createClient({
        url: redis,
        // Fail at once while Redis is away instead of queueing; reconnect with a capped backoff.
        disableOfflineQueue: true,
        socket: {
          connectTimeout: commandTimeout,
          // Reconnect with a capped backoff, until close() (false stops node-redis's loop).
          reconnectStrategy: (retries: number) => (this.#closed ? false : Math.min(50 * 2 ** retries, 1000)),
        },
      }) as AnyRedisClient;
      this.#owned = true;
    } else if (redis && typeof (redis as { sendCommand?: unknown }).sendCommand === 'function') {
      this.#client = redis;
      this.#owned = false;
    } else throw new InvalidOptionError('redis', 'must be a redis:// URL or a node-redis client (createClient from @keyv/redis)');
    this.#sealer = new Sealer(toKey(encryptionKey));
    if (typeof prefix !== 'string') throw new InvalidOptionError('prefix', 'must be a string');
    this.#prefix = prefix;
    this.#channel = `${prefix}notify`;
    // node-redis throws 'error' events nobody listens to; commands fail on their own.
    this.#client.on('error', () => undefined);
  }

  /**
   * Connects (the command connection and the notification subscription). Optional — the
   * first use connects — but waiting for it at startup means no notification is missed.
   */
  connect(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('The coordinator is closed'));
    this.#connecting ??= (async () => {
      if (!this.#client.isOpen) await this.#client.connect();
      const subscriber = (this.#subscriber ??= this.#client.duplicate() as AnyRedisClient);
      subscriber.on('error', () => undefined);
      if (!subscriber.isOpen) await subscriber.connect();
      await subscriber.subscribe(this.#channel, (name: string) => {
        const set = this.#watchers.get(name);
        if (set) for (const listener of [...set]) listener();
      });
    })();
    this.#connecting.catch(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  /** Closes the subscription, and the command connection if the coordinator opened it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const destroy = (client: AnyRedisClient | undefined): void => {
      try {
        client?.destroy();
      } catch {
        // already closed
      }
    };
    destroy(this.#subscriber);
    if (this.#owned) destroy(this.#client);
  }

  /** Same as {@link RedisCoordinator.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** {@inheritDoc @session-policy/client!SessionCoordinator.read} */
  async read(name: string): Promise<SharedSession | undefined> {
    const [generation, data] = (await this.#command(['HMGET', this.#key(name), 'generation', 'data'])) as [string | null, string | null];
    if (generation === null) return undefined;
    return { generation: Number(generation), data: data === null ? undefined : this.#sealer.open(name, data) };
  }

  /** {@inheritDoc @session-policy/client!SessionCoordinator.write} */
  async write(name: string, expected: number, data: unknown): Promise<SharedSession & { readonly stored: boolean }> {
    const sealed = this.#sealer.seal(name, data);
    const [stored, generation, now] = (await this.#run(SCRIPTS.write, name, [String(expected), sealed])) as [number, number, string | null];
    return { stored: stored === 1, generation: Number(generation), data: stored === 1 ? data : now ? this.#sealer.open(name, now) : undefined };
  }

  /** {@inheritDoc @session-policy/client!SessionCoordinator.remove} */
  async remove(name: string, generation: number): Promise<void> {
    await this.#run(SCRIPTS.remove, name, [String(generation)]);
  }

  /** {@inheritDoc @session-policy/client!SessionCoordinator.cooldown} */
  async cooldown(name: string): Promise<SharedCooldown | undefined> {
    const value = (await this.#command(['GET', this.#key(name)])) as string | null;
    if (value === null) return undefined;
    const parsed = JSON.parse(value) as SharedCooldown;
    return parsed.until > Date.now() ? parsed : undefined;
  }

  /** {@inheritDoc @session-policy/client!SessionCoordinator.setCooldown} */
  async setCooldown(name: string, cooldown: SharedCooldown | undefined): Promise<void> {
    if (!cooldown) {
      await this.#command(['DEL', this.#key(name)]);
      return;
    }
    const ttl = Math.max(1, Math.ceil(cooldown.until - Date.now()));
    await this.#command(['SET', this.#key(name), JSON.stringify({ until: cooldown.until, message: cooldown.message }), 'PX', String(ttl)]);
  }

  /** {@inheritDoc @session-policy/client!SessionCoordinator.acquirePermit} */
  async acquirePermit(name: string, max: number, lease: number): Promise<string | undefined> {
    const id = randomUUID();
    const taken = await this.#run(SCRIPTS.acquirePermit, name, [String(max), String(Math.ceil(lease)), id]);
    return Number(taken) === 1 ? id : undefined;
  }

  /** {@inheritDoc @session-policy/client!SessionCoordinator.renewPermit} */
  async renewPermit(name: string, id: string, lease: number): Promise<boolean> {
    return Number(await this.#run(SCRIPTS.renewPermit, name, [id, String(Math.ceil(lease))])) === 1;
  }

  /** {@inheritDoc @session-policy/client!SessionCoordinator.releasePermit} */
  async releasePermit(name: string, id: string): Promise<number> {
    return Number(await this.#run(SCRIPTS.releasePermit, name, [id, this.#channel, name]));
  }

  /** {@inheritDoc @session-policy/client!SessionCoordinator.notify} */
  async notify(name: string): Promise<void> {
    await this.#command(['PUBLISH', this.#channel, name]);
  }

  /** {@inheritDoc @session-policy/client!SessionCoordinator.watch} */
  watch(name: string, listener: () => void): () => void {
    if (!this.#closed) this.connect().catch(() => undefined);
    let set = this.#watchers.get(name);
    if (!set) this.#watchers.set(name, (set = new Set()));
    const entry = (): void => listener();
    set.add(entry);
    return () => {
      set.delete(entry);
      if (set.size === 0 && this.#watchers.get(name) === set) this.#watchers.delete(name);
    };
  }

  #key(name: string): string {
    return this.#prefix + name;
  }

  async #command(args: string[]): Promise<unknown> {
    return withTimeout(
      (async () => {
        await this.connect();
        return this.#client.sendCommand(args, { timeout: this.#timeout });
      })(),
      this.#timeout,
      args[0]!,
    );
  }

  /** Runs a script by SHA, sending its source once when Redis does not have it. */
  async #run(script: Script, name: string, args: string[]): Promise<unknown> {
    try {
      return await this.#command(['EVALSHA', script.sha, '1', this.#key(name), ...args]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.#command(['EVAL', script.source, '1', this.#key(name), ...args]);
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis ${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

function toKey(key: Uint8Array | string | undefined): Buffer {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'base64') : key instanceof Uint8Array ? Buffer.from(key) : undefined;
  if (!bytes || bytes.length !== 32) {
    throw new InvalidOptionError('encryptionKey', 'must be 32 bytes (a Uint8Array, or a base64 string such as `openssl rand -base64 32` prints)');
  }
  return bytes;
}
