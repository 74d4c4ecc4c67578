import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import Keyv from 'keyv';
import { LRUCache } from 'lru-cache';
import { LruKeyvStore } from '@session-policy/core';

test('Keyv over LruKeyvStore honours the TTL Keyv passes as a number', async (t) => {
  const store = new LruKeyvStore({ max: 10 });
  const keyv = new Keyv({ store, serialize: undefined, deserialize: undefined });
  // Generous times: a loaded machine may take a while between two lines.
  await keyv.set('short', 'v', 2_000);
  await keyv.set('long', 'v', 60_000);
  t.is(await keyv.get('short'), 'v');
  await sleep(2_100);
  t.is(await keyv.get('short'), undefined);
  t.is(await keyv.get('long'), 'v');
  // The entry is gone from the cache itself, not only hidden by Keyv.
  t.false(store.has('keyv:short'));
});

test('a raw LRUCache given to Keyv would have dropped that TTL (why the adapter exists)', async (t) => {
  const cache = new LRUCache<string, NonNullable<unknown>>({ max: 10 });
  const seen: unknown[] = [];
  const spy = {
    get: (k: string) => cache.get(k),
    set: (k: string, v: NonNullable<unknown>, third?: unknown) => {
      seen.push(third);
      return cache.set(k, v, third as never);
    },
    delete: (k: string) => cache.delete(k),
    clear: () => cache.clear(),
  };
  const keyv = new Keyv({ store: spy, serialize: undefined, deserialize: undefined });
  await keyv.set('k', 'v', 30);
  t.deepEqual(seen, [30]);
  t.is(cache.getRemainingTTL('keyv:k'), 0); // lru-cache took no TTL from a bare number
});

test('the bound holds: least recently used entries go first', (t) => {
  const store = new LruKeyvStore({ max: 3 });
  for (const k of ['a', 'b', 'c']) store.set(k, k);
  store.get('a');
  store.set('d', 'd');
  t.is(store.size, 3);
  t.false(store.has('b'));
  t.true(store.has('a'));
  t.throws(() => new LruKeyvStore({ max: 0 }), { code: 'ERR_INVALID_OPTION' } as never);
});
