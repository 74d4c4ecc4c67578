import { randomUUID } from 'node:crypto';
import test from 'ava';
import pg from 'pg';
import { SessionRegistry, StoreError } from '@session-policy/core';
import { PostgresSessionStore } from '@session-policy/postgres';
import { freePort, usePostgresServer } from '@session-policy/test-helpers/postgres-server';
import { eventually as waitFor } from '@session-policy/test-helpers/eventually';
import { runWorker } from '@session-policy/test-helpers/run-worker';

const db = usePostgresServer(test);
const prefix = (): string => `f${randomUUID().replaceAll('-', '').slice(0, 10)}_`;

const closeWorker = new URL('./helpers/close-worker.ts', import.meta.url);
const eventually = (attempt: () => Promise<boolean> | boolean, ms = 30_000) => waitFor(attempt, ms, 100, 'did not recover in time');

test.serial('Postgres stopped mid-load: typed ERR_STORE quickly, fail-closed and fail-open answers; restarted: recovery without restarting Node', async (t) => {
  const store = new PostgresSessionStore(db.server.url, { prefix: prefix(), queryTimeout: 500, busProbeInterval: 100 });
  const closed = new SessionRegistry({ store, maxSessions: 2 });
  const open = new SessionRegistry({ store, maxSessions: 2, onStoreError: 'fail-open' });
  const problems: Error[] = [];
  closed.on('error', (e) => problems.push(e));
  open.on('error', () => undefined);
  try {
    t.true((await closed.admit({ principal: 'u', sessionId: 'before' })).admitted);
    await eventually(() => store.nearCacheActive);
    let stop = false;
    let ok = 0;
    const failures: { error: unknown; ms: number }[] = [];
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const started = Date.now();
        try {
          await closed.admit({ principal: `u${(i + w) % 10}`, sessionId: `t${w}-${i}` });
          await closed.check(`t${w}-${i}`, `u${(i + w) % 10}`);
          ok++;
        } catch (error) {
          failures.push({ error, ms: Date.now() - started });
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const traffic = Promise.all([0, 1, 2, 3].map(worker));
    await new Promise((r) => setTimeout(r, 300));
    const okBefore = ok;
    await db.server.stop();
    await eventually(() => !store.nearCacheActive);
    const down = await closed.check('before', 'u');
    t.is(down.status, 'unavailable');
    t.false(down.status === 'unavailable' && down.allow, 'fail-closed refuses');
    const downOpen = await open.check('before', 'u');
    t.true(downOpen.status === 'unavailable' && downOpen.allow, 'fail-open lets the request through');
    await new Promise((r) => setTimeout(r, 500));
    await db.server.restart();
    await eventually(async () => (await closed.admit({ principal: 'after', sessionId: 'a1' })).admitted);
    const okAtRestart = ok;
    await eventually(() => ok > okAtRestart + 20);
    stop = true;
    await traffic;
    t.true(okBefore > 0, 'traffic ran before the stop');
    t.true(failures.length > 0, 'some operations failed while Postgres was down');
    for (const f of failures) {
      t.true(f.error instanceof StoreError, String(f.error));
      t.is((f.error as StoreError).code, 'ERR_STORE');
      t.true(f.ms < 3000, `failed after ${f.ms} ms`);
    }
    t.true(problems.some((p) => p instanceof StoreError), 'the lost connections were reported through error events');
    await eventually(() => store.nearCacheActive);
    t.is((await closed.check('a1', 'after')).status, 'active');
    t.is((await closed.check('before', 'u')).status, 'active', 'data survived the restart');
  } finally {
    await open.close();
    await closed.close();
  }
});

test.serial('a blocked table (a long lock) fails within the query timeout, then serves again', async (t) => {
  const store = new PostgresSessionStore(db.server.url, { prefix: prefix(), queryTimeout: 300, bus: false });
  const registry = new SessionRegistry({ store });
  const blocker = new pg.Client({ connectionString: db.server.url });
  blocker.on('error', () => undefined);
  await blocker.connect();
  try {
    await registry.admit({ principal: 'u', sessionId: 's1' });
    await blocker.query('BEGIN');
    await blocker.query(`LOCK TABLE ${store.tables.actives} IN ACCESS EXCLUSIVE MODE`);
    const started = Date.now();
    const error = await t.throwsAsync(registry.admit({ principal: 'u', sessionId: 's2' }));
    t.is((error as StoreError | undefined)?.code, 'ERR_STORE');
    t.true(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    const check = await registry.check('s1', 'u');
    t.is(check.status, 'unavailable');
    // A burst for one principal queues in this process: behind a failing database the
    // queued operations fail at once instead of each waiting its own timeout (12 × 300 ms).
    const burstStarted = Date.now();
    const burst = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => registry.admit({ principal: 'u', sessionId: `q${i}` })));
    t.true(burst.every((r) => r.status === 'rejected' && (r.reason as StoreError).code === 'ERR_STORE'));
    t.true(Date.now() - burstStarted < 2500, `the burst took ${Date.now() - burstStarted} ms`);
    await blocker.query('ROLLBACK');
    await eventually(async () => (await registry.check('s1', 'u')).status === 'active');
    t.true((await registry.admit({ principal: 'u', sessionId: 's2' })).admitted);
  } finally {
    await blocker.end();
    await registry.close();
  }
});

test.serial('a process whose Postgres is down gets typed errors and still exits by itself after close()', async (t) => {
  const dead = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`;
  const { code, message } = await runWorker(closeWorker, [dead, '300']);
  t.is(code, 0);
  t.deepEqual(message, ['ERR_STORE', 'ERR_STORE', 'unavailable']);
  const live = await runWorker(closeWorker, [db.server.url, '5000']);
  t.is(live.code, 0);
  t.deepEqual(live.message, ['ok', 'ok', 'active']);
});
