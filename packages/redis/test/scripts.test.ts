import test from 'ava';
import { SessionRegistry, type SessionInfo } from '@session-policy/core';
import { RedisSessionStore, SCRIPTS, type Script } from '@session-policy/redis';
import { encodeDevice, encodeRecord } from '../src/record-codec.js';
import { KeyLayout } from '../src/key-layout.js';
import { useRedisServer } from '@session-policy/test-helpers/redis-server';

// The Lua scripts run directly, with the keys and arguments their headers document.

const redis = useRedisServer(test);
const layout = new KeyLayout('lua:');
const MIN = 60_000;
const NOW = 1_000_000;

function common(principalKey: string, now = NOW, channel = '', maxTombstones = 4): string[] {
  // now, idle, absolute, retention, maxTombstones, principal key, channel, origin
  return [String(now), String(30 * MIN), 'inf', String(60 * MIN), String(maxTombstones), principalKey, channel, 'test-origin'];
}

async function run(script: Script, principalKey: string, extra: string[], now = NOW, channel = '', maxTombstones = 4): Promise<unknown> {
  const keys = layout.principal(principalKey);
  return redis.admin.sendCommand(['EVAL', script.source, String(script.numKeys), ...keys.all, ...common(principalKey, now, channel, maxTombstones), ...extra]);
}

function session(principalKey: string, sessionId: string, at: number, more: Partial<SessionInfo> = {}): SessionInfo {
  return { sessionId, principalKey, createdAt: at, lastSeenAt: at, state: 'active', ...more };
}

function admitArgs(s: SessionInfo, limit: string, onLimit = 'evict', order = 'last-seen', replace = '0', minIdle = '0'): string[] {
  return [s.sessionId, encodeRecord(s), encodeDevice(s.deviceId), limit, onLimit, order, replace, minIdle];
}

async function admit(p: string, s: SessionInfo, limit = 'inf', now = s.createdAt, ...more: string[]): Promise<string[]> {
  return (await run(SCRIPTS.admit, p, admitArgs(s, limit, ...more), now)) as string[];
}

test('admit-6 evicts exactly as many as needed, least recently seen first, indexes the deadline and sets every TTL', async (t) => {
  const p = 'admit-user';
  for (const [id, at] of [['a', NOW - 3000], ['b', NOW - 1000], ['c', NOW - 2000]] as const) {
    t.is((await admit(p, session(p, id, at), '3'))[0], 'admitted');
  }
  const reply = (await run(SCRIPTS.admit, p, admitArgs(session(p, 'd', NOW), '2'))) as [string, string, string[]];
  t.is(reply[0], 'admitted');
  t.is(reply[2].length, 2);
  t.regex(reply[2][0] ?? '', /^e\|.*"sessionId":"a"/);
  t.regex(reply[2][1] ?? '', /^e\|.*"sessionId":"c"/);
  const keys = layout.principal(p);
  const records = await redis.admin.hGetAll(keys.sessions);
  t.deepEqual(Object.keys(records).filter((id) => records[id]?.startsWith('a|')).sort(), ['b', 'd']);
  t.deepEqual(await redis.admin.zRange(keys.lastSeen, 0, -1), ['b', 'd']);
  t.deepEqual(Object.keys(records).filter((id) => records[id]?.startsWith('e|')).sort(), ['a', 'c'], 'tombstones replace their records in place');
  t.deepEqual((await redis.admin.zRange(keys.endedOrder, 0, -1)).sort(), ['a', 'c']);
  t.is(records[' w'], '4', 'the write counter counts every write (four admissions)');
  for (const key of [keys.sessions, keys.lastSeen, keys.created, keys.endedOrder, keys.due]) {
    const pttl = await redis.admin.pTTL(key);
    t.true(pttl > 0 && pttl <= 150 * MIN, `${key} TTL ${pttl}`);
  }
  t.is(await redis.admin.zScore(keys.due, p), NOW - 3000 + 30 * MIN, 'a lower bound of the earliest deadline');
});

test('admit-6 breaks last-seen ties by creation, then by id (R9)', async (t) => {
  const p = 'tie-user';
  await admit(p, session(p, 'z', NOW - 10));
  await admit(p, session(p, 'y', NOW - 5));
  await admit(p, session(p, 'x', NOW));
  // z and y touched to NOW: all three last seen at NOW; z was created first.
  await run(SCRIPTS.touch, p, ['z', String(NOW), 'y', String(NOW)], NOW);
  const r = (await admit(p, session(p, 'w', NOW + 1), '3', NOW + 1)) as unknown as [string, string, string[]];
  t.is(r[0], 'admitted');
  t.regex(r[2][0] ?? '', /"sessionId":"z"/);
});

test('admit-6 refuses in reject mode and for an ended id (with the live holders), and is a no-op for an active id', async (t) => {
  const p = 'reject-user';
  await admit(p, session(p, 'a', NOW), '1', NOW, 'reject');
  const refused = (await admit(p, session(p, 'b', NOW), '1', NOW, 'reject')) as unknown as [string, string, string[], string[], string[], string[]];
  t.is(refused[0], 'limit');
  t.is(refused[5].length, 1);
  t.is((await admit(p, session(p, 'a', NOW + 5), '1', NOW + 5, 'reject'))[0], 'already');
  await run(SCRIPTS.end, p, ['a', 'logout']);
  await admit(p, session(p, 'c', NOW + 6), '1', NOW + 6, 'reject');
  const ended = (await admit(p, session(p, 'a', NOW + 10), '1', NOW + 10, 'reject')) as unknown as string[][];
  t.is(ended[0] as unknown as string, 'ended');
  t.is(ended[5]?.length, 1, 'holders are the live sessions (R3)');
});

test('admit-6 replaces the same device, not sessions without one, and honours minIdle', async (t) => {
  const p = 'device-user';
  await admit(p, session(p, 'a', NOW, { deviceId: 'phone|1' }), '3', NOW, 'evict', 'last-seen', '1');
  await admit(p, session(p, 'n', NOW), '3', NOW, 'evict', 'last-seen', '1');
  const r = (await admit(p, session(p, 'b', NOW + 1, { deviceId: 'phone|1' }), '3', NOW + 1, 'evict', 'last-seen', '1')) as unknown as [string, string, string[], string[]];
  t.is(r[0], 'admitted');
  t.is(r[3].length, 1);
  t.regex(r[3][0] ?? '', /^e\|.*\|replaced\|phone%7C1\|.*"sessionId":"a"/);
  const none = (await admit(p, session(p, 'm', NOW + 2), '3', NOW + 2, 'evict', 'last-seen', '1')) as unknown as [string, string, string[], string[]];
  t.is(none[3].length, 0, 'no device never replaces (R15)');
  const busy = await admit(p, session(p, 'c', NOW + 3), '1', NOW + 3, 'evict', 'last-seen', '0', String(5 * MIN));
  t.is(busy[0], 'limit');
});

test('check-6 never touches, ends an expired session with its reason, never revives, forgets after retention', async (t) => {
  const p = 'check-user';
  const keys = layout.principal(p);
  await admit(p, session(p, 'a', NOW), '5');
  const version = await redis.admin.hGet(keys.sessions, ' w');
  t.is(((await run(SCRIPTS.check, p, ['a'], NOW + 2 * MIN)) as string[])[0], 'active');
  t.is(await redis.admin.hGet(keys.sessions, ' w'), version, 'a check writes nothing');
  t.is(await redis.admin.zScore(keys.lastSeen, 'a'), NOW);
  const expired = (await run(SCRIPTS.check, p, ['a'], NOW + 40 * MIN)) as string[];
  t.is(expired[0], 'expired');
  t.regex(expired[1] ?? '', /\|idle\|/);
  t.is(((await run(SCRIPTS.check, p, ['a'], NOW + 41 * MIN)) as string[])[0], 'ended');
  await run(SCRIPTS.touch, p, ['a', String(NOW + 41 * MIN)], NOW + 41 * MIN);
  t.is(((await run(SCRIPTS.check, p, ['a'], NOW + 41 * MIN)) as string[])[0], 'ended', 'a touch does not revive');
  t.is(((await run(SCRIPTS.check, p, ['a'], NOW + 200 * MIN)) as string[])[0], 'unknown', 'forgotten after retention');
});

test('touch-6 keeps the maximum and never revives an expired session', async (t) => {
  const p = 'touch-user';
  const keys = layout.principal(p);
  await admit(p, session(p, 'a', NOW));
  await run(SCRIPTS.touch, p, ['a', String(NOW + 5000)], NOW + 5000);
  await run(SCRIPTS.touch, p, ['a', String(NOW + 1000)], NOW + 5000);
  t.is(await redis.admin.zScore(keys.lastSeen, 'a'), NOW + 5000);
  t.regex((await redis.admin.hGet(keys.sessions, 'a')) ?? '', new RegExp(`^a\\|${NOW + 5000}\\|`));
  await run(SCRIPTS.touch, p, ['a', String(NOW + 5000 + 31 * MIN), 'nope', String(NOW)], NOW + 5000 + 31 * MIN);
  t.is(await redis.admin.zScore(keys.lastSeen, 'a'), NOW + 5000, 'seen after it expired: not touched');
  t.is(await redis.admin.hExists(keys.sessions, 'nope'), 0);
});

test('touch-6 moves every session of a big batch, across its chunks of 500, in the record and the order', async (t) => {
  const p = 'touch-many';
  const keys = layout.principal(p);
  const ids = Array.from({ length: 1201 }, (_, i) => `t${String(i).padStart(4, '0')}`);
  for (let i = 0; i < ids.length; i += 100) await Promise.all(ids.slice(i, i + 100).map((id) => admit(p, session(p, id, NOW))));
  // Every other one seen later; one unknown id in the middle is left alone.
  const pairs = ids.flatMap((id, i) => (i === 600 ? ['nobody', String(NOW + 9)] : [id, String(NOW + 1 + (i % 2))]));
  await run(SCRIPTS.touch, p, pairs, NOW + 2);
  const records = await redis.admin.hGetAll(keys.sessions);
  const order = new Map((await redis.admin.zRangeWithScores(keys.lastSeen, 0, -1)).map(({ value, score }) => [value, score]));
  const moved = ids.filter((id, i) => i !== 600 && records[id]?.startsWith(`a|${NOW + 1 + (i % 2)}|`) && order.get(id) === NOW + 1 + (i % 2));
  t.is(moved.length, ids.length - 1);
  t.true(records[ids[600]!]?.startsWith(`a|${NOW}|`), 'the session whose pair was replaced is untouched');
  t.false('nobody' in records);
});

test('end-6 publishes ended records on the bus channel', async (t) => {
  const p = 'bus-user';
  await admit(p, session(p, 'a', NOW));
  const subscriber = redis.admin.duplicate();
  await subscriber.connect();
  const messages: string[] = [];
  await subscriber.subscribe('lua:bus', (m) => messages.push(m));
  try {
    const reply = (await run(SCRIPTS.end, p, ['a', 'revoked'], NOW + 1, 'lua:bus')) as [string[]];
    t.is(reply[0].length, 1);
    for (let i = 0; i < 100 && messages.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    t.is(messages.length, 1);
    const [origin, record] = (messages[0] ?? '').split('\n');
    t.is(origin, 'test-origin');
    t.regex(record ?? '', /^e\|.*\|revoked\|.*"sessionId":"a"/);
  } finally {
    subscriber.destroy();
  }
});

test('tombstones: exactly maxTombstones kept, oldest by endedAt, then createdAt, then id (R14)', async (t) => {
  const p = 'trim-user';
  const keys = layout.principal(p);
  // Created in the order c, a, d, b; all ended at the same time by one end-all.
  for (const [id, at] of [['c', NOW], ['a', NOW + 1], ['d', NOW + 1], ['b', NOW + 2]] as const) await admit(p, session(p, id, at));
  await run(SCRIPTS.endAll, p, ['', 'logout', '0', '100'], NOW + 10, '', 2);
  t.deepEqual((await redis.admin.zRange(keys.endedOrder, 0, -1)).sort(), ['b', 'd']);
  await admit(p, session(p, 'e', NOW + 11));
  await run(SCRIPTS.endAll, p, ['', 'logout', '0', '100'], NOW + 11, '', 0);
  t.deepEqual(await redis.admin.zRange(keys.endedOrder, 0, -1), [], 'maxTombstones 0 keeps none');
});

test('junk: fields and keys not written by the store are dropped, never counted, never wedge', async (t) => {
  const p = 'junk-user';
  const keys = layout.principal(p);
  await redis.admin.set(keys.sessions, 'not a hash');
  await t.throwsAsync(() => run(SCRIPTS.admit, p, admitArgs(session(p, 'a', NOW), '1')) as Promise<unknown>, { message: /WRONGTYPE/ });
  t.deepEqual(await run(SCRIPTS.repair, p, []), [keys.sessions]);
  t.is((await admit(p, session(p, 'a', NOW), '1'))[0], 'admitted');
  await redis.admin.hSet(keys.sessions, 'x', 'garbage');
  t.is((await admit(p, session(p, 'b', NOW), '2'))[0], 'admitted', 'the junk field did not take a slot');
  const [, , , junk] = (await run(SCRIPTS.list, p, ['0', '100'])) as [string, string[], string[], number];
  t.is(junk, 1);
  t.is(await redis.admin.hExists(keys.sessions, 'x'), 0);
});

test('apply-6 writes only if nobody wrote since the read (compare-and-set)', async (t) => {
  const p = 'cas-user';
  const keys = layout.principal(p);
  await admit(p, session(p, 'a', NOW));
  const version = (await redis.admin.hGet(keys.sessions, ' w')) ?? '';
  await admit(p, session(p, 'b', NOW));
  const c = session(p, 'c', NOW);
  t.deepEqual(await run(SCRIPTS.apply, p, [version, 'c', encodeRecord(c), '', 'a', 'evicted']), ['conflict']);
  const fresh = (await redis.admin.hGet(keys.sessions, ' w')) ?? '';
  const [ok, ended] = (await run(SCRIPTS.apply, p, [fresh, 'c', encodeRecord(c), '', 'a', 'evicted'])) as [string, string[]];
  t.is(ok, 'ok');
  t.regex(ended[0] ?? '', /\|evicted\|/);
  const records = await redis.admin.hGetAll(keys.sessions);
  t.deepEqual(Object.keys(records).filter((id) => records[id]?.startsWith('a|')).sort(), ['b', 'c']);
});

test('sweep-begin-2: one lease holder at a time; the summary names only due buckets', async (t) => {
  const keys = [layout.sweepLease, layout.sweepSummary];
  await redis.admin.zAdd(layout.sweepSummary, [{ score: 10, value: '7' }, { score: 500, value: '9' }]);
  const begin = (origin: string, now: number) =>
    redis.admin.sendCommand(['EVAL', SCRIPTS.sweepBegin.source, '2', ...keys, origin, '10000', String(now), '100']);
  t.deepEqual(await begin('one', 100), ['7']);
  t.is((await begin('two', 100)) as unknown, null, 'another process holds the lease');
  t.deepEqual(await begin('one', 1000), ['7', '9'], 'the holder renews it');
});

test('hash tags come from a digest: hostile principal keys cannot break or choose them', (t) => {
  for (const p of ['a}{b', '{x}', '}', 'user:1', '{b7}']) {
    const keys = layout.principal(p);
    const tag = (k: string) => k.slice(k.indexOf('{'), k.indexOf('}') + 1);
    for (const key of keys.all) t.is(tag(key), tag(keys.sessions));
    t.regex(tag(keys.sessions), /^\{b\d+\}$/);
    t.false(keys.sessions.includes(p) && p.includes('{'));
  }
  t.regex(layout.owner('a}{b'), /^lua:\{o[\w-]{22}\}:v2:owner$/);
  t.throws(() => new RedisSessionStore(redis.server.url, { prefix: 'app{1}:' }), { code: 'ERR_INVALID_OPTION' });
});

test('a misspelt option is refused before any connection is made, naming the closest known one', (t) => {
  for (const [options, option, closest] of [
    [{ comandTimeout: 50 }, 'comandTimeout', 'commandTimeout'],
    [{ nearcache: false }, 'nearcache', 'nearCache'],
    [{ nearCache: { maxx: 5 } }, 'nearCache.maxx', 'max'],
  ] as const) {
    const error = t.throws(() => new RedisSessionStore(redis.server.url, options as never), { code: 'ERR_INVALID_OPTION' });
    t.is((error as { option?: string }).option, option);
    t.regex(error!.message, new RegExp(`did you mean "${closest}"`));
  }
});

test('scripts are reloaded after SCRIPT FLUSH (NOSCRIPT fallback)', async (t) => {
  const store = new RedisSessionStore(redis.server.url, { prefix: 'flush:', bus: false });
  const registry = new SessionRegistry({ store, maxSessions: 1 });
  try {
    t.true((await registry.admit({ principal: 'u', sessionId: 's1' })).admitted);
    await redis.admin.sendCommand(['SCRIPT', 'FLUSH']);
    t.true((await registry.admit({ principal: 'u', sessionId: 's2' })).admitted);
    t.is((await registry.check('s1', 'u')).status, 'ended');
    const exists = (await redis.admin.sendCommand(['SCRIPT', 'EXISTS', SCRIPTS.admit.sha, SCRIPTS.check.sha])) as number[];
    t.deepEqual(exists, [1, 1]);
  } finally {
    await registry.close();
  }
});

test('admit-6: an order entry left naming an ended id never deletes its tombstone; the id stays refused (R3, R12)', async (t) => {
  const p = 'stale-order-user';
  const keys = layout.principal(p);
  await admit(p, session(p, 'gone', NOW), '2');
  await run(SCRIPTS.end, p, ['gone', 'logout'], NOW + 1);
  await admit(p, session(p, 'live', NOW + 2), '2', NOW + 2);
  // A stale entry (what a lost write or an old bug leaves): the ended id, lowest in the order.
  await redis.admin.sendCommand(['ZADD', keys.lastSeen, String(NOW - 1), 'gone']);
  await admit(p, session(p, 'new', NOW + 3), '1', NOW + 3);
  t.true(String(await redis.admin.hGet(keys.sessions, 'gone')).startsWith('e|'), 'the tombstone is still there');
  t.is(await redis.admin.zScore(keys.lastSeen, 'gone'), null, 'the stale entry is gone');
  t.is(((await admit(p, session(p, 'gone', NOW + 4), '1', NOW + 4)) as unknown as string[])[0], 'ended', 'the ended id is refused');
});
