// The cluster example for real: 4 worker processes behind one port and one Redis. Logins
// and checks land on different workers, yet the limit holds and an eviction on one worker
// bounces the device on every other; Ctrl-C stops the workers and the redis-server it
// started, and nothing is left running. The same with STORE=postgres: the policy on the
// Postgres store of a real PostgreSQL started here, its tables holding what the workers did.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import makeFetchCookie from 'fetch-cookie';
import pg from 'pg';
import { CookieJar } from 'tough-cookie';
import { startPostgresServer } from '@session-policy/test-helpers/postgres-server';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A device: its own cookie jar, JSON requests, a fresh connection per request. */
function device(base: string) {
  const send = makeFetchCookie(fetch, new CookieJar()) as unknown as typeof fetch;
  const headers = { accept: 'application/json', 'content-type': 'application/json', connection: 'close' };
  return {
    get: (path: string) => send(base + path, { headers }),
    post: (path: string, body: unknown) => send(base + path, { method: 'POST', headers, body: JSON.stringify(body) }),
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Runs the example with `env` on 4 workers, logs three devices of one user in (limit 2),
 * checks the limit and the eviction across workers, calls `whileRunning` before Ctrl-C,
 * and checks that everything stopped.
 */
async function runCluster(t: ExecutionContext, env: Record<string, string>, policy: RegExp, whileRunning: () => Promise<void> = async () => {}): Promise<void> {
  const port = await freePort();
  const server = fileURLToPath(new URL('../src/server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=session-policy-source', '--import', 'tsx', server], {
    env: { ...process.env, PORT: String(port), WORKERS: '4', MAX_SESSIONS: '2', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = once(child, 'exit');
  try {
    for (let i = 0; i < 600 && !/Cluster example on/.test(output); i++) await new Promise((r) => setTimeout(r, 50));
    t.regex(output, /Cluster example on .*4 workers.*pid (\d+), started here/, output);
    t.regex(output, policy, output);
    const redisPid = Number(/pid (\d+), started here/.exec(output)?.[1]);
    const url = `http://127.0.0.1:${port}`;

    const devices = [device(url), device(url), device(url)];
    const served = new Set<string>();
    for (const d of devices) {
      const res = await d.post('/login', { username: 'alice', password: 'alice-pw' });
      t.is(res.status, 200);
      await res.arrayBuffer();
      served.add(res.headers.get('x-served-by') ?? '');
    }
    // Each device checks several times: requests spread over the workers.
    const answers: Record<number, number[]> = { 0: [], 1: [], 2: [] };
    for (let round = 0; round < 4; round++) {
      for (const [i, d] of devices.entries()) {
        const res = await d.get('/api/me');
        served.add(res.headers.get('x-served-by') ?? '');
        answers[i]!.push(res.status);
        // The evicted device is told why once; its session is destroyed, so after that it is anonymous.
        const body = (await res.json()) as { error?: string; reason?: string };
        if (i === 0 && round === 0) t.like(body, { error: 'session_ended', reason: 'evicted' });
      }
    }
    // Max 2: the first device was evicted by the third login (made on another worker).
    t.deepEqual(answers[0]![0], 401);
    t.true(answers[1]!.every((s) => s === 200));
    t.true(answers[2]!.every((s) => s === 200));
    t.true(served.size >= 3, `requests were served by ${[...served].join(', ')}`);
    await whileRunning();

    child.kill('SIGINT');
    const [code] = await exited;
    t.is(code, 0, output);
    t.regex(output, /workers and Redis are gone/);
    t.false(alive(redisPid), 'the redis-server the example started is stopped');
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 8000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }
}

test('the Express example on 4 cluster workers shares sessions and limits through Redis, and stops cleanly', async (t) => {
  await runCluster(t, {}, /policy on the Redis store/);
});

test('STORE=postgres: the 4 workers share the limit and the eviction through the Postgres store', async (t) => {
  const postgres = await startPostgresServer();
  t.teardown(() => postgres.destroy());
  await runCluster(t, { STORE: 'postgres', DATABASE_URL: postgres.url }, /policy on the Postgres store/, async () => {
    // What the workers did is in Postgres: alice's two active sessions, the first one's tombstone.
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      const actives = await client.query<{ n: string }>(`SELECT count(*) AS n FROM sp_actives WHERE principal_key = 'alice'`);
      t.is(Number(actives.rows[0]!.n), 2);
      const ended = await client.query<{ end_reason: string }>(`SELECT end_reason FROM sp_tombstones WHERE principal_key = 'alice'`);
      t.deepEqual(ended.rows.map((r) => r.end_reason), ['evicted']);
    } finally {
      await client.end();
    }
  });
});
