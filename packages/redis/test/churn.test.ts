import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { useRedisServer } from '@session-policy/test-helpers/redis-server';

// Issue #19.7, bounded: two processes churn logins of a few users on one Redis (limit 2,
// evict), check sessions they were admitted under, and log some out. Every `unknown`
// answer must be explained: the session ended (evicted, logged out — by either process)
// and its tombstone was forgotten, after retention (R13) or to keep maxTombstones (R14).
// An admitted session that vanishes without an end is a lost update (R1).

const redis = useRedisServer(test);

interface Report {
  readonly admitted: Array<[string, string, number]>;
  readonly checks: Array<[string, string, number]>;
  readonly ends: Array<[string, number, string]>;
}

async function churn(maxTombstones: number): Promise<{ unknown: number; retention: number; capped: number; vanished: string[]; checks: number }> {
  const prefix = `churn:${randomUUID()}:`;
  const retention = 1500;
  const worker = new URL('./helpers/churn-worker.ts', import.meta.url);
  const children = ['A', 'B'].map((name) =>
    fork(worker, [redis.server.url, prefix, name, '5000', '20', String(retention), String(maxTombstones)], {
      execArgv: ['--conditions=session-policy-source', '--import=tsx'],
      stdio: 'inherit',
    }),
  );
  await Promise.all(children.map((c) => new Promise((resolve) => c.once('message', resolve))));
  const reports = await Promise.all(
    children.map(
      (c) =>
        new Promise<Report>((resolve) => {
          c.once('message', (m: Report) => resolve(m));
          c.send('go');
        }),
    ),
  );
  const endedAt = new Map<string, number>();
  for (const r of reports) for (const [id, at] of r.ends) endedAt.set(id, Math.min(at, endedAt.get(id) ?? Infinity));
  let unknown = 0;
  let retained = 0;
  let capped = 0;
  const vanished: string[] = [];
  let checks = 0;
  for (const r of reports) {
    for (const [id, status, at] of r.checks) {
      checks++;
      if (status !== 'unknown') continue;
      unknown++;
      const end = endedAt.get(id);
      if (end === undefined) vanished.push(id);
      else if (at >= end + retention) retained++;
      else capped++;
    }
  }
  return { unknown, retention: retained, capped, vanished, checks };
}

test.serial('churn, two processes: every unknown answer is a session that ended and was forgotten (retention or the tombstone cap)', async (t) => {
  t.timeout(120_000);
  const r = await churn(32);
  t.log(`${r.checks} checks, ${r.unknown} unknown: ${r.retention} after retention, ${r.capped} by the tombstone cap, ${r.vanished.length} vanished`);
  t.deepEqual(r.vanished, [], 'admitted sessions that vanished without an end');
  t.true(r.checks > 100);
});

test.serial('churn with a cap no user reaches: unknown only after retention', async (t) => {
  t.timeout(120_000);
  const r = await churn(100_000);
  t.log(`${r.checks} checks, ${r.unknown} unknown: ${r.retention} after retention, ${r.capped} early, ${r.vanished.length} vanished`);
  t.deepEqual(r.vanished, []);
  t.is(r.capped, 0, 'a tombstone forgotten before its retention');
});
