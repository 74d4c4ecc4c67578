import test from 'ava';
import { createMemoryStore, SessionRegistry, type SessionInfo, type SessionStore } from '@session-policy/core';
import { switchable } from './helpers/switchable-store.js';

const MIN = 60_000;

test('options are validated at construction with an error naming the option', (t) => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ maxSessions: 0 }, 'maxSessions'],
    [{ maxSessions: 1.5 }, 'maxSessions'],
    [{ onLimit: 'drop' }, 'onLimit'],
    [{ idleTimeout: -1 }, 'idleTimeout'],
    [{ idleTimeout: 0 }, 'idleTimeout'],
    [{ idleTimeout: 10 * MIN, touchInterval: 10 * MIN }, 'touchInterval'],
    [{ tombstoneRetention: Infinity }, 'tombstoneRetention'],
    [{ policy: { name: 'x' } }, 'policy'],
    [{ onStoreError: 'maybe' }, 'onStoreError'],
    [{ clock: 5 }, 'clock'],
    [{ store: {} }, 'store'],
    [{ maxSessionIdLength: 0 }, 'maxSessionIdLength'],
    [{ maxAttributesBytes: 0 }, 'maxAttributesBytes'],
    [{ touchInterval: -1 }, 'touchInterval'],
  ];
  for (const [options, option] of cases) {
    const error = t.throws(() => new SessionRegistry(options as never), { code: 'ERR_INVALID_OPTION' } as never, option);
    t.is((error as { option?: string }).option, option);
  }
});

test('events tell the whole story: admitted, evicted, expired, ended, rejected', async (t) => {
  let now = 0;
  const registry = new SessionRegistry({ maxSessions: 1, idleTimeout: 10 * MIN, clock: () => now });
  const log: string[] = [];
  const tag = (s: SessionInfo) => `${s.sessionId}${s.endReason ? `:${s.endReason}` : ''}`;
  registry.on('admitted', (s) => log.push(`admitted ${tag(s)}`));
  registry.on('evicted', (s) => log.push(`evicted ${tag(s)}`));
  registry.on('expired', (s) => log.push(`expired ${tag(s)}`));
  registry.on('ended', (s, origin) => log.push(`ended ${tag(s)} ${origin}`));
  registry.on('rejected', (r) => log.push(`rejected ${r.candidate.sessionId} ${r.code}`));
  await registry.admit({ principal: 'u', sessionId: 'a' });
  await registry.admit({ principal: 'u', sessionId: 'b' });
  await registry.admit({ principal: 'u', sessionId: 'a' });
  now += 11 * MIN;
  await registry.check('b', 'u');
  t.deepEqual(log, [
    'admitted a',
    'evicted a:evicted',
    'ended a:evicted local',
    'admitted b',
    'rejected a ERR_SESSION_ENDED',
    'expired b:idle',
    'ended b:idle local',
  ]);
  const stats = registry.stats();
  t.like(stats, { admitted: 2, rejected: 1, active: 0 });
  t.like(stats.ended, { evicted: 1, idle: 1, logout: 0 });
  await registry.close();
});

test('per-role limits: maxSessions as a function of the principal', async (t) => {
  const registry = new SessionRegistry({
    maxSessions: (principal) => ((principal as { role: string }).role === 'admin' ? 3 : 1),
  });
  for (const sid of ['a1', 'a2', 'a3']) await registry.admit({ principal: { id: 'root', role: 'admin' }, sessionId: sid });
  for (const sid of ['u1', 'u2', 'u3']) await registry.admit({ principal: { id: 'joe', role: 'user' }, sessionId: sid });
  t.is((await registry.list('root')).length, 3);
  t.deepEqual((await registry.list('joe')).map((s) => s.sessionId), ['u3']);
  const broken = new SessionRegistry({ maxSessions: () => 0 });
  await t.throwsAsync(broken.admit({ principal: 'x', sessionId: 's' }), { code: 'ERR_INVALID_OPTION' } as never);
  await Promise.all([registry.close(), broken.close()]);
});

test('hostile input on the request path is "invalid", never a throw', async (t) => {
  const registry = new SessionRegistry();
  await registry.admit({ principal: 'u', sessionId: 'good' });
  for (const [sid, principal] of [
    ['x'.repeat(10_000), 'u'],
    ['bad\u0000id', 'u'],
    ['with space', 'u'],
    [undefined, 'u'],
    [{ toString: () => 'good' }, 'u'],
    ['good', undefined],
    ['good', { id: {} }],
    ['good', NaN],
  ] as Array<[unknown, unknown]>) {
    const result = await registry.check(sid, principal);
    t.is(result.status, 'invalid');
  }
  await t.throwsAsync(registry.admit({ principal: 'u', sessionId: 'x'.repeat(10_000) }), { code: 'ERR_INVALID_SESSION_ID' } as never);
  await t.throwsAsync(registry.admit({ principal: null, sessionId: 'ok' }), { code: 'ERR_INVALID_PRINCIPAL' } as never);
  await t.throwsAsync(registry.admit({ principal: 'u', sessionId: 'ok', deviceId: 'd'.repeat(5000) }), { code: 'ERR_INVALID_OPTION' } as never);
  await t.throwsAsync(registry.admit({ principal: 'u', sessionId: 'ok', attributes: [] as never }), { code: 'ERR_INVALID_OPTION' } as never);
  await t.throwsAsync(registry.end('good', 'u', 'bored' as never), { code: 'ERR_INVALID_OPTION' } as never);
  t.is((await registry.check('good', 'u')).status, 'active');
  await registry.close();
});

test('attributes are stored as JSON data: __proto__ tricks stay inert', async (t) => {
  const registry = new SessionRegistry();
  const attributes = JSON.parse('{"__proto__": {"polluted": true}, "plan": "pro"}') as Record<string, unknown>;
  await registry.admit({ principal: 'u', sessionId: 's', attributes });
  const [s] = await registry.list('u');
  t.is(s?.attributes?.plan, 'pro');
  t.is(({} as Record<string, unknown>).polluted, undefined);
  await registry.close();
});

test('a closed registry refuses work with ERR_CLOSED', async (t) => {
  const registry = new SessionRegistry();
  await registry.close();
  await registry.close();
  await t.throwsAsync(registry.admit({ principal: 'u', sessionId: 's' }), { code: 'ERR_CLOSED' } as never);
  t.is((await registry.check('s', 'u')).status, 'invalid');
});

test('the sweep timer ends expired sessions and does not keep the process alive', async (t) => {
  let now = 0;
  const registry = new SessionRegistry({ idleTimeout: MIN, touchInterval: 1000, clock: () => now, sweepInterval: 20 });
  const expired: string[] = [];
  registry.on('expired', (s) => expired.push(s.sessionId));
  await registry.admit({ principal: 'u', sessionId: 'zombie' });
  now += 2 * MIN;
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.deepEqual(expired, ['zombie']);
  t.is(registry.stats().swept, 1);
  await registry.close();
});

test('await using closes the registry at the end of the scope', async (t) => {
  let closed: SessionRegistry;
  {
    await using registry = new SessionRegistry();
    closed = registry;
    await registry.admit({ principal: 'u', sessionId: 's' });
  }
  await t.throwsAsync(closed.list('u'), { code: 'ERR_CLOSED' } as never);
});

test('peek answers from memory exactly as check would, records the touch, and leaves expiries to check', async (t) => {
  let now = 0;
  const registry = new SessionRegistry({ idleTimeout: 10 * MIN, clock: () => now });
  await registry.admit({ principal: 'u', sessionId: 's' });
  t.like(registry.peek('s', 'u'), { status: 'active', session: { sessionId: 's' } });
  t.like(registry.peek('other', 'u'), { status: 'unknown' });
  t.like(registry.peek('s', 'nobody'), { status: 'unknown' });
  t.like(registry.peek('bad id', 'u'), { status: 'invalid' });
  now += 2 * MIN;
  t.like(registry.peek('s', 'u'), { status: 'active' }, 'a touch no longer makes peek fall through');
  t.like(await registry.list('u'), [{ sessionId: 's', lastSeenAt: 2 * MIN }], 'the touch peek recorded is written before a listing');
  now += 9 * MIN;
  t.like(registry.peek('s', 'u'), { status: 'active' }, 'idle is measured from the last request, 9 minutes ago');
  now += 11 * MIN;
  t.is(registry.peek('s', 'u'), undefined, 'an expiry is due: only check ends it (and emits expired)');
  t.like(await registry.check('s', 'u'), { status: 'ended', reason: 'idle' });
  t.like(registry.peek('s', 'u'), { status: 'ended', reason: 'idle' });
  await registry.close();
  t.is(registry.peek('s', 'u'), undefined);
});

/** The embedded store seen from outside: its methods but `seen`, so the registry keeps the touches itself (as for Redis). */
function withoutSeen(): SessionStore {
  const base = createMemoryStore();
  return {
    name: 'memory without seen',
    admit: (r) => base.admit(r),
    check: (r) => base.check(r),
    peek: (r) => base.peek(r),
    touch: (touches, context) => base.touch(touches, context),
    list: (r) => base.list(r),
    end: (r) => base.end(r),
    endAll: (r) => base.endAll(r),
    sweep: (r) => base.sweep(r),
    close: () => base.close(),
  };
}

test('a pending touch the store would miss makes peek fall through to check, which writes it first', async (t) => {
  let now = 0;
  const registry = new SessionRegistry({ store: withoutSeen(), idleTimeout: 10 * MIN, touchInterval: 5 * MIN, clock: () => now });
  await registry.admit({ principal: 'u', sessionId: 's' });
  now += 6 * MIN;
  t.like(registry.peek('s', 'u'), { status: 'active' });
  now += 5 * MIN; // 11 minutes after the stored lastSeenAt, 5 after the last request
  t.is(registry.peek('s', 'u'), undefined);
  t.like(await registry.check('s', 'u'), { status: 'active', session: { lastSeenAt: 6 * MIN } });
  t.like(registry.peek('s', 'u'), { status: 'active' });
  await registry.close();
});

test('the embedded store keeps each request time in the session record itself: no pending touch, idle counted from the last request, folded into lastSeenAt by any write and about once a second', async (t) => {
  let now = 0;
  const store = createMemoryStore();
  const registry = new SessionRegistry({ store, idleTimeout: 10 * MIN, touchInterval: 5 * MIN, clock: () => now });
  await registry.admit({ principal: 'u', sessionId: 's' });
  await registry.admit({ principal: 'u', sessionId: 'quiet' });
  now += 6 * MIN;
  t.is(registry.peekActive('s', 'u')?.sessionId, 's');
  now += 5 * MIN; // 11 minutes after the stored lastSeenAt, 5 after the last request
  t.like(registry.peek('s', 'u'), { status: 'active' }, 'the store knows the request 5 minutes ago: nothing to flush first');
  t.like(await registry.check('s', 'u'), { status: 'active' });
  t.like(await registry.check('quiet', 'u'), { status: 'ended', reason: 'idle' }, 'a session not seen for 11 minutes has expired');
  t.like(await registry.list('u'), [{ sessionId: 's', state: 'active', lastSeenAt: 11 * MIN }], 'the listing shows the latest request');
  now += 1;
  registry.peekActive('s', 'u');
  // The fold about once a second (real time): the record handed out then carries it.
  for (let i = 0; i < 100 && registry.peekActive('s', 'u')?.lastSeenAt !== 11 * MIN + 1; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(registry.peekActive('s', 'u')?.lastSeenAt, 11 * MIN + 1);
  const seen = registry.peekActive('s', 'u')!;
  t.true(Object.isFrozen(seen), 'still a frozen record');
  t.deepEqual(Object.keys(seen), ['sessionId', 'principalKey', 'createdAt', 'lastSeenAt', 'state'], 'the slot is no property');
  await registry.close();
});

test('peekActive gives the active session and undefined for anything else, as peek tells them', async (t) => {
  let now = 0;
  const registry = new SessionRegistry({ idleTimeout: 10 * MIN, clock: () => now });
  await registry.admit({ principal: 'u', sessionId: 's' });
  await registry.admit({ principal: 'u', sessionId: 'e' });
  await registry.end('e', 'u');
  t.is(registry.peekActive('s', 'u')?.sessionId, 's');
  t.is(registry.peekActive('s', { id: 'u' })?.principalKey, 'u');
  t.is(registry.peekActive('e', 'u'), undefined, 'ended');
  t.like(registry.peek('e', 'u'), { status: 'ended', reason: 'logout' });
  t.is(registry.peekActive('other', 'u'), undefined, 'unknown');
  t.is(registry.peekActive('s', 'nobody'), undefined, 'another principal');
  t.is(registry.peekActive('bad id', 'u'), undefined, 'invalid');
  now += 11 * MIN;
  t.is(registry.peekActive('s', 'u'), undefined, 'an expiry is due');
  await registry.close();
  t.is(registry.peekActive('s', 'u'), undefined, 'closed');
});

test('peekRequest gives the active session itself, and peek\'s answer for anything else', async (t) => {
  let now = 0;
  const registry = new SessionRegistry({ idleTimeout: 10 * MIN, clock: () => now });
  await registry.admit({ principal: 'u', sessionId: 's' });
  await registry.admit({ principal: 'u', sessionId: 'e' });
  await registry.end('e', 'u');
  t.is(registry.peekRequest('s', 'u'), registry.peekActive('s', 'u'), 'the record, no outcome object');
  t.like(registry.peekRequest('e', 'u'), { status: 'ended', reason: 'logout', session: { sessionId: 'e' } });
  t.like(registry.peekRequest('other', 'u'), { status: 'unknown' });
  t.like(registry.peekRequest('bad id', 'u'), { status: 'invalid', error: { code: 'ERR_INVALID_SESSION_ID' } });
  now += 11 * MIN;
  t.is(registry.peekRequest('s', 'u'), undefined, 'an expiry is due: only check can tell');
  await registry.close();
  t.is(registry.peekRequest('s', 'u'), undefined, 'closed');
});

test('touches are written behind in one batch per flush interval, coalesced per session', async (t) => {
  const base = createMemoryStore();
  const batches: number[][] = [];
  const store: SessionStore = {
    name: 'counting',
    admit: (r) => base.admit(r),
    check: (r) => base.check(r),
    touch: (touches, context) => {
      batches.push(touches.map((x) => x.seenAt));
      return base.touch(touches, context);
    },
    list: (r) => base.list(r),
    end: (r) => base.end(r),
    endAll: (r) => base.endAll(r),
    sweep: (r) => base.sweep(r),
    close: () => base.close(),
  };
  let now = 1_000;
  const registry = new SessionRegistry({ store, touchInterval: 30, clock: () => now });
  await registry.admit({ principal: 'u', sessionId: 'a' });
  await registry.admit({ principal: 'u', sessionId: 'b' });
  for (let i = 0; i < 50; i++) {
    now += 10;
    t.is((await registry.check('a', 'u')).status, 'active');
    t.is((await registry.check('b', 'u')).status, 'active');
  }
  t.deepEqual(batches, [], 'nothing written on the request path');
  const deadline = Date.now() + 10_000;
  while (batches.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  t.deepEqual(batches, [[1_500, 1_500]], 'one batch, the latest time of each session');
  t.like(await registry.list('u'), [{ lastSeenAt: 1_500 }, { lastSeenAt: 1_500 }]);
  await registry.close();
});

test('attributes are capped by their serialized size, counted in UTF-8 bytes (R16)', async (t) => {
  const registry = new SessionRegistry();
  const huge = { blob: 'x'.repeat(10 * 2 ** 20) };
  const error = await t.throwsAsync(registry.admit({ principal: 'u', sessionId: 's', attributes: huge }), { code: 'ERR_INVALID_OPTION' } as never);
  t.regex(error?.message ?? '', /attributes.*4096 bytes.*maxAttributesBytes/);
  // 1,400 three-byte characters: 1,400 UTF-16 units but 4,200 bytes.
  await t.throwsAsync(registry.admit({ principal: 'u', sessionId: 's', attributes: { k: '€'.repeat(1_400) } }), { code: 'ERR_INVALID_OPTION' } as never);
  await t.throwsAsync(registry.admit({ principal: 'u', sessionId: 's', attributes: { n: 1n } as never }), { code: 'ERR_INVALID_OPTION' } as never);
  t.true((await registry.admit({ principal: 'u', sessionId: 's', attributes: { k: '€'.repeat(1_300) } })).admitted);
  t.deepEqual(await registry.list('u').then((l) => l.map((s) => s.sessionId)), ['s']);
  await registry.close();
});

test('while an end of one session waits for the store, the principal’s other sessions are still answered from memory', async (t) => {
  const { store, fail } = switchable({ peek: true });
  const registry = new SessionRegistry({ store });
  registry.on('error', () => undefined);
  t.teardown(async () => {
    fail(false);
    await registry.close();
  });
  for (const id of ['a', 'b']) t.true((await registry.admit({ principal: 'p', sessionId: id })).admitted);
  fail(true);
  await t.throwsAsync(registry.end('a', 'p'), { code: 'ERR_STORE' });
  t.is(registry.pendingEnds().length, 1, 'the end is queued');
  t.is(registry.peek('a', 'p'), undefined, 'the ended session: only check tells');
  t.is(registry.peek('b', 'p')?.status, 'active', 'the other session: from memory, no store call');
  t.is((await registry.check('a', 'p')).status, 'ended');
});
