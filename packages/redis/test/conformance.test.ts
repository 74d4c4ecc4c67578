import { randomUUID } from 'node:crypto';
import test from 'ava';
import { storeConformance } from '@session-policy/store-test-suite';
import type { SessionStore } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';
import { startRedisServer, type RedisServer } from '@session-policy/test-helpers/redis-server';

let server: RedisServer;
const stores: RedisSessionStore[] = [];

test.before(async () => {
  server = await startRedisServer();
});

test.after.always(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await server?.stop();
});

// Each test gets its own prefix: sweeps and their lease are per prefix, and the suite's
// tests run at once with clocks of their own. The suite checks behaviour, not latency:
// a generous command timeout, so ~200 tests starting at once on a loaded machine do not
// turn a slow first EVAL into a failure.
const TIMEOUT = { commandTimeout: 15_000 };
storeConformance(test, {
  name: 'redis',
  createStore: () => {
    const store = new RedisSessionStore(server.url, { prefix: `conf:${randomUUID()}:`, ...TIMEOUT });
    stores.push(store);
    return store;
  },
});

storeConformance(test, {
  name: 'redis (no bus, no near cache)',
  createStore: () => {
    const store = new RedisSessionStore(server.url, { prefix: `conf:${randomUUID()}:`, bus: false, ...TIMEOUT });
    stores.push(store);
    return store;
  },
});

// The same suite through the optimistic path custom policies take: the policies' rank()
// and replaces() run in JavaScript, written back by compare-and-set.
storeConformance(test, {
  name: 'redis (custom-policy path)',
  createStore: () => {
    const store = new RedisSessionStore(server.url, { prefix: `conf:${randomUUID()}:`, ...TIMEOUT });
    stores.push(store);
    return withoutDescriptors(store);
  },
});

function withoutDescriptors(store: RedisSessionStore): SessionStore {
  return {
    name: store.name,
    admit: (request) => {
      const { descriptor: _, ...policy } = request.policy;
      return store.admit({ ...request, policy });
    },
    check: (request) => store.check(request),
    touch: (touches, context) => store.touch(touches, context),
    list: (request) => store.list(request),
    end: (request) => store.end(request),
    endAll: (request) => store.endAll(request),
    sweep: (request) => store.sweep(request),
    watch: (listener) => store.watch(listener),
    onError: (listener) => store.onError(listener),
    close: () => store.close(),
  };
}
