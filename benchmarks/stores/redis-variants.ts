// The Redis-backed variants: the generic Keyv store over @keyv/redis, and the Redis
// store without and with its near cache, all on one redis-server started here (on a
// free loopback port, persistence off) and flushed between variants.
import Keyv from 'keyv';
import KeyvRedis, { createClient } from '@keyv/redis';
import { KeyvSessionStore } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';
import { startRedisServer, type RedisServer } from '@session-policy/test-helpers/redis-server';
import type { Variant } from './run.js';

let server: RedisServer | undefined;

async function flushed(): Promise<string> {
  server ??= await startRedisServer();
  const admin = createClient({ url: server.url });
  await admin.connect();
  await admin.flushAll();
  await admin.destroy();
  return server.url;
}

/** The Redis variants to measure, and a function that stops the server they share. */
export async function redisVariants(): Promise<Variant[]> {
  return [
    {
      name: 'keyv generic over Redis',
      async open() {
        const keyvRedis = new KeyvRedis(await flushed());
        const store = new KeyvSessionStore(new Keyv({ store: keyvRedis, namespace: 'bench' }), { closeKeyv: true });
        return { store, close: () => store.close() };
      },
    },
    {
      name: 'redis store, no near cache',
      async open() {
        const store = new RedisSessionStore(await flushed(), { nearCache: false, commandTimeout: 5000 });
        return { store, close: () => store.close() };
      },
    },
    {
      name: 'redis store + near cache',
      async open() {
        const store = new RedisSessionStore(await flushed(), { commandTimeout: 5000 });
        return { store, close: () => store.close() };
      },
    },
  ];
}

/** Stops the redis-server the variants used. */
export async function stopRedis(): Promise<void> {
  await server?.stop();
  server = undefined;
}
