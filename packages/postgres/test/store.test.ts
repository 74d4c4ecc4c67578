import { randomUUID } from 'node:crypto';
import test from 'ava';
import KeyvPostgres from '@keyv/postgres';
import Keyv from 'keyv';
import pg from 'pg';
import { CorruptRecordError, SessionRegistry } from '@session-policy/core';
import { migrate, PostgresSessionStore, SCHEMA_VERSION } from '@session-policy/postgres';
import { usePostgresServer } from '@session-policy/test-helpers/postgres-server';

const stores: PostgresSessionStore[] = [];
const db = usePostgresServer(test, { stopping: async () => void (await Promise.all(stores.map((s) => s.close()))) });
const prefix = (): string => `s${randomUUID().replaceAll('-', '').slice(0, 10)}_`;
const MINUTE = 60_000;

function open(options: ConstructorParameters<typeof PostgresSessionStore>[1] = {}): PostgresSessionStore {
  const store = new PostgresSessionStore(db.server.url, { prefix: prefix(), queryTimeout: 5000, ...options });
  stores.push(store);
  return store;
}

async function count(table: string): Promise<number> {
  return Number((await db.admin.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
}

test('hostile keys: quotes, braces, __proto__, SQL and a 10 kB principal key within the configured bound', async (t) => {
  const store = open();
  const registry = new SessionRegistry({ store, maxSessions: 2, principalKey: { maxLength: 10_000 } });
  const keys = [`o'brien"; DROP TABLE x; --`, '{}', 'a}{b', '__proto__', 'constructor', `$1 \\x00 E'\\''`, 'ü'.repeat(5000), `k${'x'.repeat(9999)}`];
  for (const [n, key] of keys.entries()) {
    // Ids differ per principal: one id belongs to one principal at a time (R4).
    const [one, two, three] = [`one-${n}`, `two-${n}`, `three-${n}`];
    t.true((await registry.admit({ principal: key, sessionId: one, attributes: { __proto__: { polluted: true }, "'": '{}' } as never })).admitted, key.slice(0, 20));
    t.true((await registry.admit({ principal: key, sessionId: two })).admitted);
    t.true((await registry.admit({ principal: key, sessionId: three })).admitted, 'evicts one');
    t.is((await registry.check(one, key)).status, 'ended');
    const listed = await registry.list(key, { includeEnded: true });
    t.deepEqual(listed.map((s) => `${s.sessionId}:${s.state}`).sort(), [`${one}:ended`, `${three}:active`, `${two}:active`]);
    t.is(listed.find((s) => s.sessionId === one)?.principalKey, key);
  }
  t.is(({} as Record<string, unknown>).polluted, undefined);
  t.is(await count(store.tables.actives), 2 * keys.length);
  await registry.close();
});

test('the retention sweeper deletes in bounded batches: no statement removes more than `batch` rows, a run at most batch × maxBatches', async (t) => {
  const store = open({ sweeper: { interval: 0, batch: 50, maxBatches: 3 } });
  let now = Date.parse('2026-03-01T08:00:00Z');
  const registry = new SessionRegistry({ store, clock: () => now, idleTimeout: 10 * MINUTE, tombstoneRetention: 60 * MINUTE, maxSessions: 1 });
  // 400 principals × (1 tombstone + 1 active).
  for (let i = 0; i < 400; i++) {
    await registry.admit({ principal: `p${i}`, sessionId: `a${i}` });
    await registry.admit({ principal: `p${i}`, sessionId: `b${i}` });
  }
  t.is(await count(store.tables.tombstones), 400);
  t.is(await count(store.tables.actives), 400);
  const timeouts = { idle: 10 * MINUTE, absolute: Infinity, retention: 60 * MINUTE, maxTombstones: 100 };
  // Nothing is past retention yet.
  t.deepEqual(await store.purge({ now: now + 30 * MINUTE, timeouts }), { tombstones: 0, forgotten: 0, statements: 2 });
  // Tombstones past retention (60 min) and sessions expired more than retention ago (10 + 60 min).
  now += 71 * MINUTE;
  const first = await store.purge({ now, timeouts });
  t.deepEqual(first, { tombstones: 150, forgotten: 150, statements: 6 });
  const second = await store.purge({ now, timeouts });
  t.deepEqual(second, { tombstones: 150, forgotten: 150, statements: 6 });
  const third = await store.purge({ now, timeouts });
  t.deepEqual(third, { tombstones: 100, forgotten: 100, statements: 6 }, 'two full batches and an empty one per table');
  t.is(await count(store.tables.tombstones), 0);
  t.is(await count(store.tables.actives), 0);
  t.is((await registry.check('b1', 'p1')).status, 'unknown', 'forgotten, as the Redis store forgets a key');
  await registry.close();
});

test('the sweeper timer runs on the registry clock of the last operation', async (t) => {
  const store = open({ sweeper: { interval: 50, batch: 10, maxBatches: 100 } });
  let now = Date.parse('2026-03-01T08:00:00Z');
  const registry = new SessionRegistry({ store, clock: () => now, idleTimeout: 10 * MINUTE, tombstoneRetention: 5 * MINUTE, maxSessions: 1 });
  for (let i = 0; i < 30; i++) await registry.admit({ principal: 'p', sessionId: `s${i}` });
  t.is(await count(store.tables.tombstones), 29);
  now += 6 * MINUTE;
  await registry.check('s29', 'p');
  const until = Date.now() + 10_000;
  while ((await count(store.tables.tombstones)) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  t.is(await count(store.tables.tombstones), 0);
  t.is(await count(store.tables.actives), 1, 'the live session stays');
  await registry.close();
});

test('R14 in SQL: after an admission that evicts, exactly maxTombstones are kept, oldest dropped first', async (t) => {
  const store = open();
  let now = 1_000_000;
  const registry = new SessionRegistry({ store, clock: () => now, maxSessions: 1, maxTombstones: 3 });
  for (let i = 0; i < 8; i++) {
    now += 1000;
    await registry.admit({ principal: 'p', sessionId: `s${i}` });
  }
  const ended = (await registry.list('p', { includeEnded: true })).filter((s) => s.state === 'ended').map((s) => s.sessionId);
  t.deepEqual(ended.sort(), ['s4', 's5', 's6']);
  await registry.close();
});

test('R18: rows the store did not write are ignored, reported once per operation, and dropped by the next write', async (t) => {
  const store = open({ bus: false });
  const registry = new SessionRegistry({ store });
  const errors: Error[] = [];
  registry.on('error', (e) => errors.push(e));
  await registry.admit({ principal: 'p', sessionId: 'good' });
  const { tables } = store;
  await db.admin.query(
    `INSERT INTO ${tables.actives} (session_hash, principal_hash, principal_key, session_id, created_at, last_seen_at, details)
     SELECT decode(md5(i::text), 'hex'), principal_hash, principal_key, 'junk' || i, 0, 0, 'not json' FROM ${tables.actives}, generate_series(1, 50) i`,
  );
  t.is((await registry.list('p')).map((s) => s.sessionId).join(), 'good');
  t.is(errors.filter((e) => e instanceof CorruptRecordError).length, 1);
  t.true((await registry.admit({ principal: 'p', sessionId: 'next' })).admitted);
  t.is(await count(tables.actives), 2, 'the junk rows were dropped by the write');
  await registry.close();
});

test('a Keyv instance over @keyv/postgres: the store makes its own pool from its settings and leaves Keyv working', async (t) => {
  const keyv = new Keyv({ store: new KeyvPostgres({ uri: db.server.url, table: `${prefix()}keyv` }) });
  await keyv.set('mine', 'still here');
  const store = new PostgresSessionStore(keyv, { prefix: prefix() });
  const registry = new SessionRegistry({ store });
  t.true((await registry.admit({ principal: 'k', sessionId: 's1' })).admitted);
  await registry.close();
  t.is(await keyv.get('mine'), 'still here', "Keyv's pool is untouched");
  await keyv.disconnect();
});

test('a pool you pass is yours: closing the store leaves it open', async (t) => {
  const pool = new pg.Pool({ connectionString: db.server.url, max: 2 });
  const store = new PostgresSessionStore(pool, { prefix: prefix() });
  await new SessionRegistry({ store }).admit({ principal: 'x', sessionId: 's' });
  await store.close();
  t.is((await pool.query('SELECT 1 AS one')).rows[0].one, 1);
  await pool.end();
});

test('migrate() creates the tables for stores with migrate: false; a newer schema version is refused', async (t) => {
  const p = prefix();
  const before = new PostgresSessionStore(db.server.url, { prefix: p, migrate: false, bus: false });
  const missing = await t.throwsAsync(before.list({ principalKey: 'x', now: 0, timeouts: { idle: 1, absolute: 1, retention: 1, maxTombstones: 1 } }));
  t.is((missing as { code?: string }).code, 'ERR_STORE');
  await Promise.all([migrate(db.server.url, { prefix: p }), migrate(db.server.url, { prefix: p })]);
  t.deepEqual((await before.list({ principalKey: 'x', now: 0, timeouts: { idle: 1, absolute: 1, retention: 1, maxTombstones: 1 } })).sessions, []);
  await before.close();
  await db.admin.query(`UPDATE "${p}meta" SET value = $1 WHERE name = 'schema_version'`, [String(SCHEMA_VERSION + 1)]);
  const newer = open({ prefix: p });
  const error = await t.throwsAsync(newer.list({ principalKey: 'x', now: 0, timeouts: { idle: 1, absolute: 1, retention: 1, maxTombstones: 1 } }));
  t.regex(String((error as Error).message), /newer/);
});

test('options are validated once, at construction', (t) => {
  for (const [options, name] of [
    [{ prefix: 'Bad-Prefix' }, 'prefix'],
    [{ prefix: 'x'.repeat(41) }, 'prefix'],
    [{ schema: 'a;b' }, 'schema'],
    [{ queryTimeout: 0 }, 'queryTimeout'],
    [{ bus: false, nearCache: { ttl: 5 } }, 'nearCache'],
    [{ sweeper: { batch: 1.5 } }, 'sweeper.batch'],
    [{ sweeper: { interval: -1 } }, 'sweeper.interval'],
    // Misspelt names, which would otherwise leave the default in force without a word.
    [{ querytimeout: 500 }, 'querytimeout'],
    [{ sweeper: { intervall: 1000 } }, 'sweeper.intervall'],
    [{ nearCache: { tll: 5 } }, 'nearCache.tll'],
  ] as const) {
    const error = t.throws(() => new PostgresSessionStore(db.server.url, options as never));
    t.is((error as { option?: string }).option, name);
  }
  t.is((t.throws(() => new PostgresSessionStore({} as never)) as { option?: string }).option, 'source');
});

test('R8 across processes: two stores checking one expired session at once both answer ended, one reports the expiry', async (t) => {
  const p = prefix();
  const [a, b] = [open({ prefix: p, bus: false }), open({ prefix: p, bus: false })];
  let now = Date.parse('2026-03-01T08:00:00Z');
  const registries = [a, b].map((store) => new SessionRegistry({ store, clock: () => now, idleTimeout: 10 * MINUTE }));
  const expired: string[] = [];
  for (const r of registries) r.on('expired', (s) => expired.push(s.sessionId));
  for (let i = 0; i < 10; i++) await registries[0]!.admit({ principal: 'u', sessionId: `x${i}` });
  now += 11 * MINUTE;
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => registries.map((r) => r.check(`x${i}`, 'u'))).flat());
  t.true(answers.every((c) => c.status === 'ended' && c.reason === 'idle'), JSON.stringify(answers.map((c) => c.status)));
  t.deepEqual(expired.sort(), Array.from({ length: 10 }, (_, i) => `x${i}`).sort(), 'each expiry reported exactly once');
  for (const r of registries) await r.close();
});
