import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { createKeyv } from '@keyv/redis';
import { KeyvSessionStore, SessionRegistry } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';
import { startRedisServer, type RedisServer } from '@session-policy/test-helpers/redis-server';

// Several processes log the same principal in at once, round after round. The Redis store
// must never leave more active sessions than the limit, never keep an evicted session
// active, and give every refusal a reason. The generic Keyv store on the same Redis is
// only atomic inside one process: its violations are reported, not asserted.

const PROCESSES = 4;
const PER_PROCESS = 5;
const ROUNDS = 40;

interface Result {
  readonly id: string;
  readonly admitted: boolean;
  readonly evicted?: readonly string[];
  readonly code?: string;
  readonly error?: string;
}

let server: RedisServer;
const children: ChildProcess[] = [];
const prefix = `race:${randomUUID()}:`;

test.before(async () => {
  server = await startRedisServer();
  const worker = new URL('./helpers/race-worker.ts', import.meta.url);
  for (let i = 0; i < PROCESSES; i++) {
    const child = fork(worker, [server.url, prefix], { execArgv: ['--conditions=session-policy-source', '--import=tsx'], stdio: 'inherit' });
    children.push(child);
  }
  await Promise.all(children.map((c) => new Promise((resolve) => c.once('message', resolve))));
});

test.after.always(async () => {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve();
          const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
          c.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          c.send('exit');
        }),
    ),
  );
  await server?.stop();
});

function round(child: ChildProcess, message: object): Promise<Result[]> {
  return new Promise((resolve) => {
    child.once('message', (results: Result[]) => resolve(results));
    child.send(message);
  });
}

interface Tally {
  readonly overLimit: number;
  readonly evictedActive: number;
  readonly unexplained: number;
  /** Logins told `admitted` whose session is neither active nor reported evicted (lost writes). */
  readonly lost: number;
  readonly maxActive: number;
  readonly admittedInRejectRounds: number[];
}

async function race(store: 'redis' | 'keyv', limit: number, onLimit: 'evict' | 'reject'): Promise<Tally> {
  const principal = `user-${store}-${limit}-${onLimit}`;
  const observer =
    store === 'redis'
      ? new RedisSessionStore(server.url, { prefix, bus: false })
      : new KeyvSessionStore(createKeyv(server.url, { namespace: `${prefix}keyv` }), { closeKeyv: true });
  const registry = new SessionRegistry({ store: observer, maxSessions: limit, onLimit });
  const evicted = new Set<string>();
  let overLimit = 0;
  let evictedActive = 0;
  let unexplained = 0;
  let lost = 0;
  let maxActive = 0;
  const admittedInRejectRounds: number[] = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const tag = `r${r}`;
      const results = (
        await Promise.all(children.map((c) => round(c, { store, principal, count: PER_PROCESS, limit, onLimit, tag })))
      ).flat();
      for (const res of results) {
        for (const id of res.evicted ?? []) evicted.add(id);
        if (!res.admitted && res.code !== 'ERR_SESSION_LIMIT' && res.code !== 'ERR_SESSION_ENDED') unexplained++;
      }
      const active = await registry.list(principal);
      maxActive = Math.max(maxActive, active.length);
      if (active.length > limit) overLimit++;
      evictedActive += active.filter((s) => evicted.has(s.sessionId)).length;
      const activeIds = new Set(active.map((s) => s.sessionId));
      lost += results.filter((x) => x.admitted && !activeIds.has(x.id) && !evicted.has(x.id)).length;
      if (onLimit === 'reject') {
        admittedInRejectRounds.push(results.filter((x) => x.admitted).length);
        await registry.endAll(principal);
      }
    }
    return { overLimit, evictedActive, unexplained, lost, maxActive, admittedInRejectRounds };
  } finally {
    await registry.close();
  }
}

for (const limit of [1, 3]) {
  for (const onLimit of ['evict', 'reject'] as const) {
    test.serial(`redis store: ${PROCESSES} processes × ${PER_PROCESS} concurrent logins, limit ${limit}, ${onLimit}, ${ROUNDS} rounds`, async (t) => {
      const tally = await race('redis', limit, onLimit);
      t.is(tally.overLimit, 0, 'more active sessions than the limit after a round');
      t.is(tally.maxActive, limit);
      t.is(tally.evictedActive, 0, 'a session both evicted and active');
      t.is(tally.unexplained, 0, 'a refusal without a reason');
      t.is(tally.lost, 0, 'a login told admitted whose session vanished');
      if (onLimit === 'reject') t.true(tally.admittedInRejectRounds.every((n) => n === limit), String(tally.admittedInRejectRounds));
    });

    test.serial(`generic Keyv store on Redis (reported, not asserted): limit ${limit}, ${onLimit}`, async (t) => {
      const tally = await race('keyv', limit, onLimit);
      const over = onLimit === 'reject' ? tally.admittedInRejectRounds.filter((n) => n > limit).length : tally.overLimit;
      t.log(
        `limit ${limit} ${onLimit}: ${over}/${ROUNDS} rounds over the limit (max active ${tally.maxActive}` +
          `${onLimit === 'reject' ? `, admitted per round ${Math.min(...tally.admittedInRejectRounds)}–${Math.max(...tally.admittedInRejectRounds)}` : ''}), ` +
          `${tally.evictedActive} evicted-but-active, ${tally.lost} admitted-then-lost, ${tally.unexplained} unexplained refusals`,
      );
      t.pass();
    });
  }
}
