import test from 'ava';
import { createMemoryStore, leastRecentlySeen, SessionRegistry } from '@session-policy/core';
import { storeConformance } from '@session-policy/store-test-suite';

storeConformance(test, { name: 'memory', createStore: () => createMemoryStore() });

test('memory: a login flood cannot grow memory past maxPrincipals', async (t) => {
  const store = createMemoryStore({ maxPrincipals: 100 });
  const registry = new SessionRegistry({ store, maxSessions: 2 });
  for (let i = 0; i < 5000; i++) await registry.admit({ principal: `flood-${i}`, sessionId: `s-${i}` });
  // The newest principals are kept, the oldest forgotten.
  t.is((await registry.check('s-4999', 'flood-4999')).status, 'active');
  t.is((await registry.check('s-0', 'flood-0')).status, 'unknown');
  let kept = 0;
  for (let i = 0; i < 5000; i++) if ((await registry.list(`flood-${i}`)).length > 0) kept++;
  t.is(kept, 100);
  await registry.close();
});

test('memory: sessions handed out are frozen, so callers cannot corrupt the store', async (t) => {
  const registry = new SessionRegistry();
  await registry.admit({ principal: 'u', sessionId: 's' });
  const [session] = await registry.list('u');
  t.throws(() => {
    (session as { state: string }).state = 'ended';
  });
  t.is((await registry.check('s', 'u')).status, 'active');
  await registry.close();
});

test('memory: a record a store caller wrote as a plain literal has no last-seen slot: its touches go the generic way', async (t) => {
  let now = 1_000;
  const store = createMemoryStore();
  const registry = new SessionRegistry({ store, idleTimeout: 600_000, clock: () => now });
  const timeouts = { idle: 600_000, absolute: Infinity, retention: 86_400_000, maxTombstones: 10 };
  const candidate = { sessionId: 's', principalKey: 'u', createdAt: now, lastSeenAt: now, state: 'active' as const };
  const admitted = await store.admit({ candidate, limit: Infinity, onLimit: 'evict', policy: leastRecentlySeen(), timeouts, now });
  t.true(admitted.admitted);
  now += 5_000;
  t.is(registry.peekActive('s', 'u')?.sessionId, 's');
  t.like(await registry.check('s', 'u'), { status: 'active' });
  t.like(await registry.list('u'), [{ sessionId: 's', lastSeenAt: 6_000 }], 'the pending touch was written before the listing');
  await registry.close();
});
