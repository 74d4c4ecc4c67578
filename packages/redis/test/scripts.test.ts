import test from 'ava';
import { createClient } from '@keyv/redis';
import { SessionRegistry, type SessionInfo } from '@session-policy/core';
import { RedisSessionStore, SCRIPTS, type Script } from '@session-policy/redis';
import { encodeRecord } from '../src/record-codec.js';
import { KeyLayout } from '../src/key-layout.js';
import { startRedisServer, type RedisServer } from './helpers/redis-server.js';

// The Lua scripts run directly, with the keys and arguments their headers document.

let server: RedisServer;
let redis: ReturnType<typeof createClient>;
const layout = new KeyLayout('lua:');
const MIN = 60_000;
const NOW = 1_000_000;

test.before(async () => {
  server = await startRedisServer();
  redis = createClient({ url: server.url });
  await redis.connect();
});

test.after.always(async () => {
  redis?.destroy();
  await server?.stop();
});

function common(principalKey: string, now = NOW, channel = ''): string[] {
  // now, idle, absolute, retention, maxTombstones, member, channel, origin
  return [String(now), String(30 * MIN), 'inf', String(60 * MIN), '4', principalKey, channel, 'test-origin'];
}

async function run(script: Script, principalKey: string, extra: string[], now = NOW, channel = ''): Promise<unknown> {
  const keys = layout.principal(principalKey);
  return redis.sendCommand(['EVAL', script.source, String(script.numKeys), keys.sessions, keys.due, ...common(principalKey, now, channel), ...extra]);
}

function session(principalKey: string, sessionId: string, at: number, more: Partial<SessionInfo> = {}): SessionInfo {
  return { sessionId, principalKey, createdAt: at, lastSeenAt: at, state: 'active', ...more };
}

function admitArgs(s: SessionInfo, limit: string, onLimit = 'evict', order = 'last-seen', replace = '0', minIdle = '0'): string[] {
  return [s.sessionId, encodeRecord(s), s.deviceId ?? '', limit, onLimit, order, replace, minIdle];
}

test('admit-2 evicts exactly as many as needed, least recently seen first, and indexes the deadline', async (t) => {
  const p = 'admit-user';
  for (const [id, at] of [['a', NOW - 3000], ['b', NOW - 1000], ['c', NOW - 2000]] as const) {
    t.is(((await run(SCRIPTS.admit, p, admitArgs(session(p, id, at), '3'), at)) as string[])[0], 'admitted');
  }
  const reply = (await run(SCRIPTS.admit, p, admitArgs(session(p, 'd', NOW), '2'))) as [string, string, string[]];
  t.is(reply[0], 'admitted');
  t.is(reply[2].length, 2);
  t.regex(reply[2][0] ?? '', /^e\|.*"sessionId":"a"/);
  t.regex(reply[2][1] ?? '', /^e\|.*"sessionId":"c"/);
  const keys = layout.principal(p);
  const fields = await redis.hGetAll(keys.sessions);
  t.deepEqual(Object.keys(fields).filter((f) => !f.startsWith(' ')).sort(), ['a', 'b', 'c', 'd']);
  const pttl = await redis.pTTL(keys.sessions);
  t.true(pttl > 0 && pttl <= 90 * MIN, `TTL ${pttl}`);
  t.is(await redis.zScore(keys.due, p), NOW - 1000 + 30 * MIN);
  t.true((await redis.pTTL(keys.due)) > 0);
});

test('admit-2 refuses in reject mode and for an ended id, and is a no-op for an active id', async (t) => {
  const p = 'reject-user';
  await run(SCRIPTS.admit, p, admitArgs(session(p, 'a', NOW), '1', 'reject'));
  const refused = (await run(SCRIPTS.admit, p, admitArgs(session(p, 'b', NOW), '1', 'reject'))) as [string, string, string[], string[], string[], string[]];
  t.is(refused[0], 'limit');
  t.is(refused[5].length, 1);
  t.is(((await run(SCRIPTS.admit, p, admitArgs(session(p, 'a', NOW + 5), '1', 'reject'), NOW + 5)) as string[])[0], 'already');
  await run(SCRIPTS.end, p, ['one', 'a', 'logout']);
  t.is(((await run(SCRIPTS.admit, p, admitArgs(session(p, 'a', NOW + 10), '1', 'reject'), NOW + 10)) as string[])[0], 'ended');
});

test('admit-2 replaces the same device and honours minIdle', async (t) => {
  const p = 'device-user';
  await run(SCRIPTS.admit, p, admitArgs(session(p, 'a', NOW, { deviceId: 'phone' }), '2', 'evict', 'last-seen', '1'));
  const r = (await run(SCRIPTS.admit, p, admitArgs(session(p, 'b', NOW + 1, { deviceId: 'phone' }), '2', 'evict', 'last-seen', '1'), NOW + 1)) as [string, string, string[], string[]];
  t.is(r[0], 'admitted');
  t.is(r[3].length, 1);
  t.regex(r[3][0] ?? '', /^e\|.*\|replaced\|/);
  const busy = (await run(SCRIPTS.admit, p, admitArgs(session(p, 'c', NOW + 2), '1', 'evict', 'last-seen', '0', String(5 * MIN)), NOW + 2)) as string[];
  t.is(busy[0], 'limit');
});

test('check-2 reads without writing until a touch is due, never revives, expires with a reason', async (t) => {
  const p = 'check-user';
  const keys = layout.principal(p);
  await run(SCRIPTS.admit, p, admitArgs(session(p, 'a', NOW), '5'));
  const version = await redis.hGet(keys.sessions, ' v');
  t.is(((await run(SCRIPTS.check, p, ['a', String(MIN)], NOW + 1000)) as string[])[0], 'active');
  t.is(await redis.hGet(keys.sessions, ' v'), version, 'no write before touchInterval');
  const touched = (await run(SCRIPTS.check, p, ['a', String(MIN)], NOW + 2 * MIN)) as string[];
  t.is(touched[0], 'active');
  t.regex(touched[1] ?? '', new RegExp(`^a\\|${NOW + 2 * MIN}\\|`));
  t.not(await redis.hGet(keys.sessions, ' v'), version);
  const expired = (await run(SCRIPTS.check, p, ['a', String(MIN)], NOW + 40 * MIN)) as string[];
  t.is(expired[0], 'expired');
  t.regex(expired[1] ?? '', /\|idle\|/);
  t.is(((await run(SCRIPTS.check, p, ['a', String(MIN)], NOW + 41 * MIN)) as string[])[0], 'ended');
  t.is(((await run(SCRIPTS.check, p, ['a', '0'], NOW + 41 * MIN)) as string[])[0], 'ended');
  t.is(((await run(SCRIPTS.check, p, ['a', '0'], NOW + 200 * MIN)) as string[])[0], 'unknown', 'forgotten after retention');
});

test('end-2 publishes ended records on the bus channel', async (t) => {
  const p = 'bus-user';
  await run(SCRIPTS.admit, p, admitArgs(session(p, 'a', NOW), '5'));
  await run(SCRIPTS.admit, p, admitArgs(session(p, 'b', NOW), '5'));
  const subscriber = redis.duplicate();
  await subscriber.connect();
  const messages: string[] = [];
  await subscriber.subscribe('lua:bus', (m) => messages.push(m));
  try {
    const reply = (await run(SCRIPTS.end, p, ['all', 'b', 'revoked'], NOW + 1, 'lua:bus')) as [string[]];
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

test('foreign values under our keys are dropped on write and reported, never counted', async (t) => {
  const p = 'corrupt-user';
  const keys = layout.principal(p);
  await redis.set(keys.sessions, 'not a hash');
  const r1 = (await run(SCRIPTS.admit, p, admitArgs(session(p, 'a', NOW), '1'))) as string[][];
  t.is(r1[0] as unknown as string, 'admitted');
  t.deepEqual(r1[6], ['*']);
  await redis.hSet(keys.sessions, 'x', 'garbage');
  const r2 = (await run(SCRIPTS.admit, p, admitArgs(session(p, 'b', NOW), '2'))) as string[][];
  t.is(r2[0] as unknown as string, 'admitted', 'the garbage field did not take a slot');
  t.deepEqual(r2[6], ['x']);
  t.falsy(await redis.hExists(keys.sessions, 'x'));
});

test('apply-2 writes only if nobody wrote since load-2 (compare-and-set)', async (t) => {
  const p = 'cas-user';
  await run(SCRIPTS.admit, p, admitArgs(session(p, 'a', NOW), '5'));
  const [version] = (await run(SCRIPTS.load, p, [])) as [string];
  await run(SCRIPTS.admit, p, admitArgs(session(p, 'b', NOW), '5'));
  const c = session(p, 'c', NOW);
  t.is(await run(SCRIPTS.apply, p, [version, '0', 'c', encodeRecord(c)]), 'conflict');
  const [fresh] = (await run(SCRIPTS.load, p, [])) as [string];
  t.is(await run(SCRIPTS.apply, p, [fresh, '0', 'c', encodeRecord(c)]), 'ok');
  t.deepEqual(Object.keys(await redis.hGetAll(layout.principal(p).sessions)).filter((f) => !f.startsWith(' ')), ['c']);
});

test('hash tags come from a digest: hostile principal keys cannot break or choose them', (t) => {
  for (const p of ['a}{b', '{x}', '}', 'user:1', '{b7}']) {
    const keys = layout.principal(p);
    const tag = (k: string) => k.slice(k.indexOf('{'), k.indexOf('}') + 1);
    t.regex(tag(keys.sessions), /^\{b\d+\}$/);
    t.is(tag(keys.sessions), tag(keys.due));
    t.false(keys.sessions.includes(p) && p.includes('{'));
  }
  t.throws(() => new RedisSessionStore(server.url, { prefix: 'app{1}:' }), { code: 'ERR_INVALID_OPTION' });
});

test('scripts are reloaded after SCRIPT FLUSH (NOSCRIPT fallback)', async (t) => {
  const store = new RedisSessionStore(server.url, { prefix: 'flush:', bus: false });
  const registry = new SessionRegistry({ store, maxSessions: 1 });
  try {
    t.true((await registry.admit({ principal: 'u', sessionId: 's1' })).admitted);
    await redis.sendCommand(['SCRIPT', 'FLUSH']);
    t.true((await registry.admit({ principal: 'u', sessionId: 's2' })).admitted);
    t.is((await registry.check('s1', 'u')).status, 'ended');
    const exists = (await redis.sendCommand(['SCRIPT', 'EXISTS', SCRIPTS.admit.sha, SCRIPTS.check.sha])) as number[];
    t.deepEqual(exists, [1, 1]);
  } finally {
    await registry.close();
  }
});
