import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import test from 'ava';
import KeyvPostgres from '@keyv/postgres';
import Keyv from 'keyv';
import { KeyvSessionStore, SessionRegistry } from '@session-policy/core';
import { PostgresSessionStore } from '@session-policy/postgres';
import { usePostgresServer } from '@session-policy/test-helpers/postgres-server';

// Several processes log the same principal in at once, round after round. The Postgres
// store must never leave more active sessions than the limit, never keep an evicted
// session active, and account for every admitted session (active, or a tombstone with its
// reason). The generic Keyv store over @keyv/postgres on the same database is only atomic
// inside one process: its violations are reported, not asserted.

const PROCESSES = 4;
const PER_PROCESS = 5;
const ROUNDS = 25;

interface Result {
  readonly id: string;
  readonly admitted: boolean;
  readonly evicted?: readonly string[];
  readonly code?: string;
  readonly error?: string;
}

const children: ChildProcess[] = [];
const prefix = `race_${randomUUID().replaceAll('-', '').slice(0, 8)}_`;

const db = usePostgresServer(test, {
  started: async ({ server }) => {
    const worker = new URL('./helpers/race-worker.ts', import.meta.url);
    for (let i = 0; i < PROCESSES; i++) {
      children.push(fork(worker, [server.url, prefix], { execArgv: ['--conditions=session-policy-source', '--import=tsx'], stdio: 'inherit' }));
    }
    await Promise.all(children.map((c) => new Promise((resolve) => c.once('message', resolve))));
  },
  stopping: async () => {
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
  },
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
  readonly errors: readonly string[];
  /** Logins told `admitted` whose session is neither active nor a tombstone (lost writes). */
  readonly lost: number;
  /** Sessions reported evicted whose tombstone does not say `evicted`. */
  readonly wrongTombstone: number;
  readonly maxActive: number;
  readonly admittedInRejectRounds: number[];
}

async function race(store: 'postgres' | 'keyv', limit: number, onLimit: 'evict' | 'reject'): Promise<Tally> {
  const principal = `user-${store}-${limit}-${onLimit}`;
  const observer =
    store === 'postgres'
      ? new PostgresSessionStore(db.server.url, { prefix, bus: false, queryTimeout: 5000 })
      : new KeyvSessionStore(new Keyv({ store: new KeyvPostgres({ uri: db.server.url, table: `${prefix}keyv` }) }), { closeKeyv: true });
  const registry = new SessionRegistry({ store: observer, maxSessions: limit, onLimit, maxTombstones: 10_000 });
  const evicted = new Set<string>();
  let overLimit = 0;
  let evictedActive = 0;
  let unexplained = 0;
  let lost = 0;
  let wrongTombstone = 0;
  let maxActive = 0;
  const errors: string[] = [];
  const admittedInRejectRounds: number[] = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const tag = `r${r}`;
      const results = (await Promise.all(children.map((c) => round(c, { store, principal, count: PER_PROCESS, limit, onLimit, tag })))).flat();
      for (const res of results) {
        for (const id of res.evicted ?? []) evicted.add(id);
        if (res.error) errors.push(res.error);
        else if (!res.admitted && res.code !== 'ERR_SESSION_LIMIT' && res.code !== 'ERR_SESSION_ENDED') unexplained++;
      }
      const all = await registry.list(principal, { includeEnded: true });
      const active = all.filter((s) => s.state === 'active');
      maxActive = Math.max(maxActive, active.length);
      if (active.length > limit) overLimit++;
      evictedActive += active.filter((s) => evicted.has(s.sessionId)).length;
      const known = new Map(all.map((s) => [s.sessionId, s]));
      for (const x of results.filter((x) => x.admitted)) {
        const s = known.get(x.id);
        if (!s) lost++;
        else if (evicted.has(x.id) && s.endReason !== 'evicted') wrongTombstone++;
      }
      if (onLimit === 'reject') {
        admittedInRejectRounds.push(results.filter((x) => x.admitted).length);
        await registry.endAll(principal);
      }
    }
    return { overLimit, evictedActive, unexplained, errors, lost, wrongTombstone, maxActive, admittedInRejectRounds };
  } finally {
    await registry.close();
  }
}

for (const limit of [1, 3]) {
  for (const onLimit of ['evict', 'reject'] as const) {
    test.serial(`postgres store: ${PROCESSES} processes × ${PER_PROCESS} concurrent logins, limit ${limit}, ${onLimit}, ${ROUNDS} rounds`, async (t) => {
      const tally = await race('postgres', limit, onLimit);
      t.deepEqual(tally.errors, [], 'no login failed');
      t.is(tally.overLimit, 0, 'more active sessions than the limit after a round');
      t.is(tally.maxActive, limit);
      t.is(tally.evictedActive, 0, 'a session both evicted and active');
      t.is(tally.unexplained, 0, 'a refusal without a reason');
      t.is(tally.lost, 0, 'a login told admitted that is neither active nor a tombstone');
      t.is(tally.wrongTombstone, 0, 'an evicted session whose tombstone does not say evicted');
      if (onLimit === 'reject') t.true(tally.admittedInRejectRounds.every((n) => n === limit), String(tally.admittedInRejectRounds));
    });

    test.serial(`generic Keyv store on @keyv/postgres (reported, not asserted): limit ${limit}, ${onLimit}`, async (t) => {
      const tally = await race('keyv', limit, onLimit);
      const over = onLimit === 'reject' ? tally.admittedInRejectRounds.filter((n) => n > limit).length : tally.overLimit;
      t.log(
        `limit ${limit} ${onLimit}: ${over}/${ROUNDS} rounds over the limit (max active ${tally.maxActive}` +
          `${onLimit === 'reject' ? `, admitted per round ${Math.min(...tally.admittedInRejectRounds)}–${Math.max(...tally.admittedInRejectRounds)}` : ''}), ` +
          `${tally.evictedActive} evicted-but-active, ${tally.lost} admitted-then-lost, ${tally.unexplained} unexplained refusals, ${tally.errors.length} errors`,
      );
      t.pass();
    });
  }
}
