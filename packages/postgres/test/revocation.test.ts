import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { SessionRegistry, type SessionInfo } from '@session-policy/core';
import { PostgresSessionStore } from '@session-policy/postgres';
import { usePostgresServer } from '@session-policy/test-helpers/postgres-server';

// Revocation across processes through LISTEN/NOTIFY: four processes (children) hold the
// same sessions in their near caches (TTL 60 s); each end in one of them must reach the
// other three, and they must then refuse the session. Delivery times are logged
// (p50/p99, for docs/postgres.md), never asserted.

const PROCESSES = 4;
const ROUNDS = 40;
const prefix = `rev_${randomUUID().replaceAll('-', '').slice(0, 8)}_`;
const children: ChildProcess[] = [];
let seq = 0;

interface Reply {
  readonly seq: number;
  readonly error?: string;
  readonly [key: string]: unknown;
}
interface EndedEvent {
  readonly event: 'ended';
  readonly id: string;
  readonly reason: string;
  readonly at: number;
}
const arrivals = new Map<string, EndedEvent[]>();

const db = usePostgresServer(test, {
  started: async ({ server }) => {
    const worker = new URL('./helpers/revocation-worker.ts', import.meta.url);
    for (let i = 0; i < PROCESSES; i++) {
      const child = fork(worker, [server.url, prefix], { execArgv: ['--conditions=session-policy-source', '--import=tsx'], stdio: 'inherit' });
      child.on('message', (m: EndedEvent | Reply | string) => {
        if (typeof m !== 'object' || !('event' in m)) return;
        const e = m as EndedEvent;
        arrivals.set(e.id, [...(arrivals.get(e.id) ?? []), e]);
      });
      children.push(child);
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
            c.send({ cmd: 'exit', seq: ++seq });
          }),
      ),
    );
  },
});

function ask(child: ChildProcess, command: object): Promise<Reply> {
  const id = ++seq;
  return new Promise((resolve) => {
    const on = (m: Reply): void => {
      if (typeof m === 'object' && m.seq === id) {
        child.off('message', on);
        resolve(m);
      }
    };
    child.on('message', on);
    child.send({ ...command, seq: id });
  });
}

async function until(condition: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

test.serial(`an end in one of ${PROCESSES} processes reaches the other ${PROCESSES - 1}, which then refuse the session (near cache on)`, async (t) => {
  const admin = new SessionRegistry({ store: new PostgresSessionStore(db.server.url, { prefix, bus: false, queryTimeout: 5000 }) });
  try {
    await until(async () => (await Promise.all(children.map((c) => ask(c, { cmd: 'live' })))).every((r) => r.live === true));
    const latencies: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const principal = `user-${r % 5}`;
      const id = `s${r}-${randomUUID()}`;
      t.true((await admin.admit({ principal, sessionId: id })).admitted);
      // Every process checks it twice: the second answer comes from its near cache.
      for (const child of children) {
        t.is((await ask(child, { cmd: 'check', principal, id })).status, 'active');
        const cached = await ask(child, { cmd: 'check', principal, id });
        t.is(cached.status, 'active');
        t.true(cached.fromCache, 'answered from the near cache');
      }
      const ender = children[r % PROCESSES]!;
      const ended = await ask(ender, { cmd: 'end', principal, id });
      t.is(ended.ended, id);
      await until(() => (arrivals.get(id)?.length ?? 0) >= PROCESSES - 1);
      const events = arrivals.get(id)!;
      t.is(events.length, PROCESSES - 1, 'each other process heard it once, the ender not at all');
      for (const e of events) {
        t.is(e.reason, 'revoked');
        latencies.push(e.at - (ended.at as number));
      }
      for (const child of children) {
        const after = await ask(child, { cmd: 'check', principal, id });
        t.is(after.status, 'ended');
        t.is(after.reason, 'revoked');
      }
    }
    latencies.sort((a, b) => a - b);
    t.log(`delivery from the end call to the other processes' ended event, ${latencies.length} deliveries: p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms`);
  } finally {
    await admin.close();
  }
});

test.serial('while the LISTEN connection is down the near cache is bypassed, so an end it missed is still refused; then it comes back', async (t) => {
  const store = new PostgresSessionStore(db.server.url, { prefix, nearCache: { ttl: 60_000 }, busProbeInterval: 100, queryTimeout: 5000 });
  const registry = new SessionRegistry({ store });
  const problems: Error[] = [];
  registry.on('error', (e) => problems.push(e));
  const other = new SessionRegistry({ store: new PostgresSessionStore(db.server.url, { prefix, bus: false, queryTimeout: 5000 }) });
  const remote: SessionInfo[] = [];
  registry.on('ended', (s, origin) => origin === 'remote' && remote.push(s));
  try {
    await until(() => store.nearCacheActive);
    await registry.admit({ principal: 'bob', sessionId: 'b1' });
    t.is((await registry.check('b1', 'bob')).status, 'active');
    t.not(registry.peek('b1', 'bob'), undefined, 'cached');
    // Kill the listening backend and end the session at once (the other store has no
    // bus: nothing is published, as if the message were lost).
    await db.admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`);
    await until(() => !store.nearCacheActive);
    await other.end('b1', 'bob');
    t.is(registry.peek('b1', 'bob'), undefined, 'the near cache is bypassed while the bus is down');
    const check = await registry.check('b1', 'bob');
    t.is(check.status, 'ended');
    await until(() => store.nearCacheActive);
    // Back: ends from other processes arrive again.
    await registry.admit({ principal: 'bob', sessionId: 'b2' });
    t.is(await ask(children[0]!, { cmd: 'end', principal: 'bob', id: 'b2' }).then((r) => r.ended), 'b2');
    await until(() => remote.some((s) => s.sessionId === 'b2'));
    t.true(problems.length > 0, 'the lost connection was reported');
  } finally {
    await registry.close();
    await other.close();
  }
});

test.serial('an end too big for one NOTIFY payload (8000 bytes) still reaches the others, by reference', async (t) => {
  const principal = `big-${'x'.repeat(9000)}`;
  const store = new PostgresSessionStore(db.server.url, { prefix, nearCache: { ttl: 60_000 }, queryTimeout: 5000 });
  const registry = new SessionRegistry({ store, principalKey: { maxLength: 10_000 } });
  const remote: SessionInfo[] = [];
  registry.on('ended', (s, origin) => origin === 'remote' && remote.push(s));
  const ender = new SessionRegistry({ store: new PostgresSessionStore(db.server.url, { prefix, queryTimeout: 5000 }), principalKey: { maxLength: 10_000 } });
  try {
    await until(() => store.nearCacheActive);
    await registry.admit({ principal, sessionId: 'big1' });
    t.is((await registry.check('big1', principal)).status, 'active');
    t.truthy(await ender.end('big1', principal, 'revoked'));
    await until(() => remote.length > 0);
    t.is(remote[0]?.principalKey, principal);
    t.is(remote[0]?.endReason, 'revoked');
    t.is((await registry.check('big1', principal)).status, 'ended');
  } finally {
    await registry.close();
    await ender.close();
  }
});
