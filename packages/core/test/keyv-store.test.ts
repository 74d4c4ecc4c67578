import test from 'ava';
import Keyv from 'keyv';
import { KeyvSessionStore, SessionRegistry, type SessionPolicyError } from '@session-policy/core';
import { storeConformance } from '@session-policy/store-test-suite';

// A plain Keyv (Map backend, JSON serialization): the path every remote Keyv adapter takes.
storeConformance(test, { name: 'keyv (Map, serialized)', createStore: () => new KeyvSessionStore(new Keyv()) });

test('keyv: a corrupt value under our key is a miss, reported as ERR_CORRUPT_RECORD', async (t) => {
  const keyv = new Keyv();
  const registry = new SessionRegistry({ store: new KeyvSessionStore(keyv) });
  const errors: SessionPolicyError[] = [];
  registry.on('error', (e) => errors.push(e as SessionPolicyError));
  await registry.admit({ principal: 'u', sessionId: 's' });
  for (const garbage of ['not json at all', { v: 2 }, { v: 1, sessions: [{ sessionId: 's', principalKey: 'someone-else' }] }, { v: 1, sessions: 'x' }]) {
    await keyv.set('sp:u', garbage);
    t.is((await registry.check('s', 'u')).status, 'unknown');
  }
  t.true(errors.length >= 4);
  t.true(errors.every((e) => e.code === 'ERR_CORRUPT_RECORD'));
  // A corrupt principal record does not block new logins: it is replaced.
  t.true((await registry.admit({ principal: 'u', sessionId: 's2' })).admitted);
  t.is((await registry.check('s2', 'u')).status, 'active');
  await registry.close();
});

function failingKeyv() {
  let down = false;
  const map = new Map<string, unknown>();
  const store = {
    get: async (k: string) => {
      if (down) throw new Error('connection refused');
      return map.get(k);
    },
    set: async (k: string, v: unknown) => {
      if (down) throw new Error('connection refused');
      map.set(k, v);
      return true;
    },
    delete: async (k: string) => map.delete(k),
    clear: async () => map.clear(),
  };
  return { keyv: new Keyv({ store }), setDown: (d: boolean) => (down = d) };
}

test('keyv: backend failures surface as ERR_STORE, never as a silent "no session"', async (t) => {
  const { keyv, setDown } = failingKeyv();
  const closed = new SessionRegistry({ store: new KeyvSessionStore(keyv) });
  const open = new SessionRegistry({ store: new KeyvSessionStore(keyv), onStoreError: 'fail-open' });
  await closed.admit({ principal: 'u', sessionId: 's' });
  setDown(true);
  const a = await closed.check('s', 'u');
  t.is(a.status, 'unavailable');
  t.false(a.status === 'unavailable' && a.allow);
  t.is(a.status === 'unavailable' ? a.error.code : '', 'ERR_STORE');
  const b = await open.check('s', 'u');
  t.true(b.status === 'unavailable' && b.allow);
  await t.throwsAsync(closed.admit({ principal: 'u', sessionId: 's2' }), { code: 'ERR_STORE' } as never);
  await t.throwsAsync(closed.list('u'), { code: 'ERR_STORE' } as never);
  setDown(false);
  t.is((await closed.check('s', 'u')).status, 'active');
  await closed.close();
  await open.close();
});

test('keyv: junk records of any count are dropped and reported once; the principal keeps working (R18)', async (t) => {
  const keyv = new Keyv();
  const registry = new SessionRegistry({ store: new KeyvSessionStore(keyv) });
  const errors: SessionPolicyError[] = [];
  registry.on('error', (e) => errors.push(e as SessionPolicyError));
  await registry.admit({ principal: 'u', sessionId: 'good' });
  const blob = (await keyv.get('sp:u')) as { v: 1; sessions: unknown[] };
  const junk = Array.from({ length: 10_000 }, (_, i) => (i % 3 === 0 ? `junk-${i}` : { sessionId: `j${i}`, principalKey: 'u', state: 'weird' }));
  await keyv.set('sp:u', { v: 1, sessions: [...blob.sessions, ...junk] });
  t.is((await registry.check('good', 'u')).status, 'active');
  t.is(errors.length, 1, 'one report for 10,000 junk records');
  t.like(errors[0], { code: 'ERR_CORRUPT_RECORD' });
  t.regex(errors[0]!.message, /10000 of 10001 records dropped/);
  t.true((await registry.admit({ principal: 'u', sessionId: 'next' })).admitted);
  t.deepEqual((await registry.list('u')).map((s) => s.sessionId), ['good', 'next']);
  t.is(((await keyv.get('sp:u')) as { sessions: unknown[] }).sessions.length, 2, 'the junk is gone after the next write');
  t.is((await registry.endAll('u')).length, 2);
  await registry.close();
});
