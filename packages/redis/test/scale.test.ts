import { randomUUID } from 'node:crypto';
import test from 'ava';
import { SessionRegistry, type SessionInfo } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';
import { useRedisServer } from '@session-policy/test-helpers/redis-server';

// A principal with any number of sessions, junk of any count, R4 across principals, and
// what sweeps cost.

const redis = useRedisServer(test);
const MIN = 60_000;

function setup(options: { prefix?: string; maxSessions?: number; sweepBatch?: number } = {}) {
  const prefix = options.prefix ?? `scale:${randomUUID()}:`;
  const store = new RedisSessionStore(redis.server.url, { prefix, commandTimeout: 20_000 });
  const errors: Error[] = [];
  const registry = new SessionRegistry({ store, maxSessions: options.maxSessions ?? Infinity, sweepBatch: options.sweepBatch ?? 1000 });
  registry.on('error', (e) => errors.push(e));
  return { store, registry, errors, prefix };
}

async function admitMany(registry: SessionRegistry, principal: string, count: number, tag = 's'): Promise<void> {
  for (let i = 0; i < count; i += 500) {
    const batch = Array.from({ length: Math.min(500, count - i) }, (_, j) => registry.admit({ principal, sessionId: `${tag}${i + j}` }));
    for (const r of await Promise.all(batch)) if (!r.admitted) throw new Error(`refused: ${r.code}`);
  }
}

test('10,000 sessions of one principal: check, list, end and end all work (end all past the old ~4,000 unpack limit)', async (t) => {
  const { store, registry, errors } = setup();
  const user = 'service-account';
  try {
    await admitMany(registry, user, 10_000);
    t.is((await registry.check('s1234', user)).status, 'active');
    const listed = await registry.list(user);
    t.is(listed.length, 10_000);
    t.is(new Set(listed.map((s) => s.sessionId)).size, 10_000);
    t.is((await registry.end('s1', user))?.endReason, 'logout');
    const ended = await registry.endAll(user, { except: 's2' });
    t.is(ended.length, 9_998);
    t.is((await registry.check('s2', user)).status, 'active');
    t.is((await registry.check('s9999', user)).status, 'ended');
    t.deepEqual((await registry.list(user)).map((s) => s.sessionId), ['s2']);
    const keys = store.keysOf(user);
    t.is(await redis.admin.zCard(keys.endedOrder), 32, 'tombstones trimmed to exactly maxTombstones');
    t.true((await registry.admit({ principal: user, sessionId: 'after' })).admitted);
    t.deepEqual(errors, []);
  } finally {
    await registry.close();
  }
});

test('10,000 junk fields in a principal\'s hashes: dropped, reported once per operation, the principal keeps working', async (t) => {
  const { store, registry, errors } = setup({ maxSessions: 2 });
  const user = 'junk-owner';
  try {
    t.true((await registry.admit({ principal: user, sessionId: 'real' })).admitted);
    const keys = store.keysOf(user);
    const junk: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) junk[`junk${i}`] = i % 2 ? 'garbage' : `a|1|2|||{"bad"`;
    await redis.admin.hSet(keys.sessions, junk);
    t.true((await registry.admit({ principal: user, sessionId: 'second' })).admitted, 'junk never counts against the limit');
    t.is((await registry.check('junk7', user)).status, 'unknown');
    t.deepEqual((await registry.list(user)).map((s) => s.sessionId).sort(), ['real', 'second']);
    const corrupt = errors.filter((e) => (e as { code?: string }).code === 'ERR_CORRUPT_RECORD');
    t.true(corrupt.length >= 1 && corrupt.length <= 3, `${corrupt.length} reports (check, list: one each)`);
    t.regex(corrupt.map((e) => e.message).join('\n'), /9999 fields|10000 fields/);
    const left = Object.keys(await redis.admin.hGetAll(keys.sessions)).filter((f) => !f.startsWith(' '));
    t.deepEqual(left.sort(), ['real', 'second'], 'junk dropped from the records (metadata fields aside)');
    t.is((await registry.endAll(user)).length, 2);
    t.true((await registry.admit({ principal: user, sessionId: 'third' })).admitted);
  } finally {
    await registry.close();
  }
});

test('a key of the wrong type under a principal is deleted and reported, and the principal heals (R18)', async (t) => {
  const { store, registry, errors } = setup({ maxSessions: 1 });
  const user = 'wrong-type';
  try {
    const keys = store.keysOf(user);
    await redis.admin.set(keys.lastSeen, 'a string where a sorted set belongs');
    await redis.admin.hSet(keys.created, 'x', 'a hash where a sorted set belongs');
    t.true((await registry.admit({ principal: user, sessionId: 'a' })).admitted);
    t.is((await registry.check('a', user)).status, 'active');
    t.is(errors.filter((e) => (e as { code?: string }).code === 'ERR_CORRUPT_RECORD').length, 2);
  } finally {
    await registry.close();
  }
});

test('one session id belongs to one principal: admitted for B, it ends for A with reason replaced (R4)', async (t) => {
  const { registry } = setup();
  const ended: SessionInfo[] = [];
  registry.on('ended', (s) => ended.push(s));
  try {
    t.true((await registry.admit({ principal: 'alice', sessionId: 'shared-jti' })).admitted);
    const second = await registry.admit({ principal: 'bob', sessionId: 'shared-jti' });
    t.true(second.admitted);
    if (second.admitted) t.deepEqual(second.replaced.map((s) => [s.principalKey, s.endReason]), [[registry.key('alice'), 'replaced']]);
    const alice = await registry.check('shared-jti', 'alice');
    t.is(alice.status, 'ended');
    t.is((await registry.check('shared-jti', 'bob')).status, 'active');
    t.true(ended.some((s) => s.principalKey === registry.key('alice') && s.endReason === 'replaced'));
  } finally {
    await registry.close();
  }
});

// Commands Redis ran: { scripts run, all commands including those scripts call }.
async function commands(): Promise<{ scripts: number; all: number }> {
  const info = await redis.admin.info('commandstats');
  let all = 0;
  let scripts = 0;
  for (const m of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) {
    all += Number(m[2]);
    if (m[1] === 'evalsha' || m[1] === 'eval') scripts += Number(m[2]);
  }
  return { scripts, all };
}

test.serial('sweeps: an idle sweep is one round trip, and only one of several processes sweeps (the lease)', async (t) => {
  const prefix = `sweep:${randomUUID()}:`;
  let now = Date.now();
  const stores = [0, 1].map(() => new RedisSessionStore(redis.server.url, { prefix, bus: false }));
  const registries = stores.map((store) => new SessionRegistry({ store, idleTimeout: 10 * MIN, clock: () => now }));
  try {
    for (let i = 0; i < 50; i++) await registries[i % 2]!.admit({ principal: `p${i}`, sessionId: `s${i}` });
    await registries[0]!.sweep(); // the first sweep also rebuilds the summary from every bucket
    const before = await commands();
    for (let i = 0; i < 10; i++) await registries[0]!.sweep();
    const after = await commands();
    // The INFO call itself counts once.
    const scripts = (after.scripts - before.scripts) / 10;
    const all = (after.all - before.all - 1) / 10;
    t.is(scripts, 1, 'one script per idle sweep');
    t.true(all <= 6, `${all} commands per idle sweep, the script's own calls included (was 1,024 ZRANGEBYSCOREs)`);
    now += 11 * MIN;
    const [a, b] = await Promise.all([registries[0]!.sweep(), registries[1]!.sweep()]);
    t.is(a + b, 50, 'every expired session swept once');
    t.is(b, 0, 'the second process does not hold the lease');
    t.is(await registries[0]!.sweep(), 0);
  } finally {
    await Promise.all(registries.map((r) => r.close()));
  }
});
