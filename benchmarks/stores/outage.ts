/**
 * Faults a production deployment meets (issue #19), measured with real processes and a
 * real `redis-server`:
 *
 * 1. **Outage under load**, twice (Redis with AOF persistence, and without): 4 child
 *    processes (2 fail-closed, 2 fail-open) share one Redis and run logins, checks and
 *    logouts of 30 users (limit 2) without pause; Redis is SIGKILLed, left down 5 s and
 *    restarted on the same port. Counted: child crashes, unhandled rejections, sessions over
 *    the limit (every user listed every 500 ms while Redis is up), revivals (a check
 *    answering `active` for a session whose end was asked or seen), check answers during
 *    the outage that disagree with `onStoreError`, heap and RSS during the outage against
 *    before, and the time from the restart to each process's first admitted login.
 * 2. **Revocation propagation** to 3 other processes: 500 ends in sequence, the time from
 *    `end()` in this process to `ended` (origin `remote`) in each listener.
 * 3. **A logout during a 5-second outage** through the Koa example (koa-session cookie
 *    mode, fail-open, AOF Redis): logout, "log out everywhere" and a revoke while Redis
 *    is down; what the device gets, what a copied cookie gets here and what another
 *    process's registry answers for it, before and after the queued end is delivered,
 *    and the events with their times.
 *
 *   node --conditions=session-policy-source --import tsx benchmarks/stores/outage.ts [--write-results]
 *
 * Unattended, about 1.5 minutes; starts its own redis-servers on free loopback ports.
 * `--write-results` puts the figures in `benchmarks/RESULTS.md` ("Faults (issue #19)").
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { SessionPolicyError, SessionRegistry, type PendingEnd } from '@session-policy/core';
import { DataLostError, RedisSessionStore } from '@session-policy/redis';
import { eventually } from '@session-policy/test-helpers/eventually';
import { startRedisServer, type RedisServer } from '@session-policy/test-helpers/redis-server';
import { writeResultsBlock } from '../results-block.js';
import { runRevocationListener, wallClock } from './revocation-listener.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Polls until `done()` or `ms` passed; says which. Every wait here is bounded: unattended runs must end. */
const waitFor = (done: () => boolean, ms: number): Promise<boolean> => eventually(done, ms, 10).then(
  () => true,
  () => false,
);
const USERS = 30;
const LIMIT = 2;
const OUTAGE_MS = 5000;
const EXEC_ARGV = ['--conditions=session-policy-source', '--import=tsx'];
const SELF = fileURLToPath(import.meta.url);

type Phase = 'before' | 'outage' | 'after';
interface PhaseCounts {
  ok: number;
  storeErrors: number;
  otherErrors: number;
  unavailable: number;
  wrongAllow: number;
  revivals: number;
  heapMax: number;
  rssMax: number;
}
interface WorkerReport {
  mode: 'fail-closed' | 'fail-open';
  phases: Record<Phase, PhaseCounts>;
  unhandled: number;
  errorEvents: number;
  dataLost: number;
  queued: number;
  delivered: number;
  dropped: number;
  recoveredAt: number;
  otherSamples: string[];
}

// ---------------------------------------------------------------------------------------
// Child roles.

async function loadWorker(url: string, prefix: string, mode: 'fail-closed' | 'fail-open', name: string): Promise<void> {
  process.once('disconnect', () => process.exit(1)); // the parent is gone
  let unhandled = 0;
  process.on('unhandledRejection', () => unhandled++);
  const store = new RedisSessionStore(url, { prefix });
  const registry = new SessionRegistry({ store, maxSessions: LIMIT, onStoreError: mode, sweepInterval: 1000 });
  let errorEvents = 0;
  let dataLost = 0;
  const ends = { queued: 0, delivered: 0, dropped: 0 };
  registry.on('error', (error) => {
    errorEvents++;
    if (error instanceof DataLostError) dataLost++;
  });
  registry.on('endQueued', () => ends.queued++);
  registry.on('endDelivered', () => ends.delivered++);
  registry.on('endDropped', () => ends.dropped++);
  const fresh = (): PhaseCounts => ({ ok: 0, storeErrors: 0, otherErrors: 0, unavailable: 0, wrongAllow: 0, revivals: 0, heapMax: 0, rssMax: 0 });
  const phases: Record<Phase, PhaseCounts> = { before: fresh(), outage: fresh(), after: fresh() };
  let phase: Phase = 'before';
  let recoveredAt = 0;
  let running = true;
  const otherSamples: string[] = [];
  // Every session this process admitted: its user, and since when (performance.now()) its
  // end is known here (written, queued, or seen by a check); a check that began after that
  // and answers `active` is a revival. (A check already in flight when another of this
  // process's callers ends the session may rightly answer `active`.)
  const sessions = new Map<string, { user: string; overAt: number }>();
  const ids: string[] = [];
  let n = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    phases[phase].heapMax = Math.max(phases[phase].heapMax, m.heapUsed);
    phases[phase].rssMax = Math.max(phases[phase].rssMax, m.rss);
  }, 100);
  const pick = (): string | undefined => ids[Math.floor(Math.random() * ids.length)];

  const step = async (): Promise<void> => {
    const counts = phases[phase];
    const r = Math.random();
    try {
      if (r < 0.3 || ids.length === 0) {
        const sessionId = `${name}-${n++}`;
        const user = `u${Math.floor(Math.random() * USERS)}`;
        const result = await registry.admit({ principal: user, sessionId });
        if (result.admitted) {
          sessions.set(sessionId, { user, overAt: Infinity });
          ids.push(sessionId);
          for (const s of [...result.evicted, ...result.replaced]) {
            const known = sessions.get(s.sessionId);
            if (known) known.overAt = Math.min(known.overAt, performance.now());
          }
          if (phase === 'after' && !recoveredAt) recoveredAt = wallClock();
        }
      } else if (r < 0.9) {
        const sessionId = pick()!;
        const known = sessions.get(sessionId)!;
        const began = performance.now();
        const result = await registry.check(sessionId, known.user);
        if (result.status === 'active' && began > known.overAt) {
          counts.revivals++;
          if (otherSamples.length < 5) otherSamples.push(`revival of ${sessionId} (${(began - known.overAt).toFixed(0)} ms after its end)`);
        }
        if (result.status === 'ended' || result.status === 'unknown') known.overAt = Math.min(known.overAt, performance.now());
        if (result.status === 'unavailable') {
          counts.unavailable++;
          if (result.allow !== (mode === 'fail-open')) counts.wrongAllow++;
          return;
        }
      } else {
        const sessionId = pick()!;
        const known = sessions.get(sessionId)!;
        // Written or queued: from then on the session must never be active again.
        await registry.end(sessionId, known.user).catch((error: unknown) => {
          if (!(error instanceof SessionPolicyError && error.code === 'ERR_STORE')) throw error;
          counts.storeErrors++;
        });
        known.overAt = Math.min(known.overAt, performance.now());
      }
      counts.ok++;
    } catch (error) {
      if (error instanceof SessionPolicyError && error.code === 'ERR_STORE') counts.storeErrors++;
      else {
        counts.otherErrors++;
        if (otherSamples.length < 5) otherSamples.push(String((error as Error).message ?? error));
      }
    }
  };
  const lanes = Array.from({ length: 4 }, async () => {
    while (running) {
      await step();
      // Yield to timers and IPC; an outage makes each call wait up to the command timeout.
      await new Promise((r) => setImmediate(r));
    }
  });
  process.on('message', (m: { phase?: Phase; finish?: boolean }) => {
    if (m.phase) phase = m.phase;
    if (m.finish) {
      running = false;
      void (async () => {
        await Promise.all(lanes);
        clearInterval(sampler);
        await registry.close();
        const report: WorkerReport = { mode, phases, unhandled, errorEvents, dataLost, ...ends, recoveredAt, otherSamples };
        process.send?.({ report }, () => process.exit(0));
      })();
    }
  });
  // Ready once a login went through.
  for (;;) {
    try {
      if ((await registry.admit({ principal: 'warmup', sessionId: `${name}-warmup` })).admitted) break;
    } catch {
      await sleep(100);
    }
  }
  process.send?.('ready');
}

// ---------------------------------------------------------------------------------------
// The parent's scenarios.

function forkRole(args: string[]): ChildProcess {
  return fork(SELF, args, { execArgv: EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function once<T>(child: ChildProcess, match: (m: unknown) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      const value = match(m);
      if (value === undefined) return;
      child.off('message', onMessage);
      resolve(value);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before answering`)));
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};
const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const mb = (bytes: number): string => (bytes / 1048576).toFixed(1);

interface OutageResult {
  persistent: boolean;
  crashes: number;
  unhandled: number;
  overLimitSamples: number;
  listings: number;
  maxActive: number;
  revivals: number;
  wrongAllow: number;
  unavailable: { closed: number; open: number };
  opsOutage: number;
  opsBefore: number;
  storeErrorsOutage: number;
  otherErrors: number;
  otherSamples: string[];
  heapBefore: number;
  heapOutage: number;
  rssBefore: number;
  rssOutage: number;
  recovery: number[];
  queued: number;
  delivered: number;
  dropped: number;
  dataLost: number[];
}

async function outageUnderLoad(persistent: boolean): Promise<OutageResult> {
  const server = await startRedisServer(persistent ? { persistent: 'everysec' } : {});
  const prefix = `bench-outage:${persistent ? 'aof' : 'empty'}:`;
  const modes = ['fail-closed', 'fail-open', 'fail-closed', 'fail-open'] as const;
  const children = modes.map((mode, i) => forkRole(['--load', server.url, prefix, mode, `p${i}`]));
  const exits = children.map((child) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))));
  let finished = false;
  let crashes = 0;
  for (const exit of exits) void exit.then((code) => (!finished || code !== 0 ? crashes++ : undefined));
  await Promise.all(children.map((child) => once(child, (m) => (m === 'ready' ? true : undefined))));

  // The limit, watched from outside while Redis is up.
  const observer = new SessionRegistry({ store: new RedisSessionStore(server.url, { prefix, bus: false }), maxSessions: LIMIT });
  observer.on('error', () => undefined);
  let up = true;
  let overLimitSamples = 0;
  let listings = 0;
  let maxActive = 0;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      if (up) {
        for (let u = 0; u < USERS && up; u++) {
          try {
            const count = (await observer.list(`u${u}`)).length;
            listings++;
            maxActive = Math.max(maxActive, count);
            if (count > LIMIT) overLimitSamples++;
          } catch {
            // Redis going away under the listing: not a sample
          }
        }
      }
      await sleep(500);
    }
  })();

  await sleep(4000);
  for (const child of children) child.send({ phase: 'outage' });
  up = false;
  await server.kill();
  await sleep(OUTAGE_MS);
  await server.restart();
  const restartAt = wallClock();
  for (const child of children) child.send({ phase: 'after' });
  up = true;
  await sleep(6000);
  const reports = await Promise.all(
    children.map((child) => {
      const report = once(child, (m) => (m as { report?: WorkerReport }).report);
      child.send({ finish: true });
      return report;
    }),
  );
  finished = true;
  watching = false;
  await watcher;
  await Promise.all(exits);
  await observer.close();
  await server.dispose();

  const sum = (f: (r: WorkerReport) => number): number => reports.reduce((a, r) => a + f(r), 0);
  return {
    persistent,
    crashes,
    unhandled: sum((r) => r.unhandled),
    overLimitSamples,
    listings,
    maxActive,
    revivals: sum((r) => r.phases.before.revivals + r.phases.outage.revivals + r.phases.after.revivals),
    wrongAllow: sum((r) => r.phases.outage.wrongAllow + r.phases.after.wrongAllow),
    unavailable: {
      closed: sum((r) => (r.mode === 'fail-closed' ? r.phases.outage.unavailable : 0)),
      open: sum((r) => (r.mode === 'fail-open' ? r.phases.outage.unavailable : 0)),
    },
    opsBefore: sum((r) => r.phases.before.ok),
    opsOutage: sum((r) => r.phases.outage.ok),
    storeErrorsOutage: sum((r) => r.phases.outage.storeErrors),
    otherErrors: sum((r) => r.phases.before.otherErrors + r.phases.outage.otherErrors + r.phases.after.otherErrors),
    otherSamples: reports.flatMap((r) => r.otherSamples).slice(0, 5),
    heapBefore: Math.max(...reports.map((r) => r.phases.before.heapMax)),
    heapOutage: Math.max(...reports.map((r) => r.phases.outage.heapMax)),
    rssBefore: Math.max(...reports.map((r) => r.phases.before.rssMax)),
    rssOutage: Math.max(...reports.map((r) => r.phases.outage.rssMax)),
    recovery: reports.map((r) => (r.recoveredAt ? r.recoveredAt - restartAt : NaN)),
    queued: sum((r) => r.queued),
    delivered: sum((r) => r.delivered),
    dropped: sum((r) => r.dropped),
    dataLost: reports.map((r) => r.dataLost),
  };
}

async function revocations(count: number): Promise<{ all: number[]; slowest: number[]; missed: number }> {
  const server = await startRedisServer();
  const prefix = 'bench-revocation-3:';
  const listeners = [0, 1, 2].map(() => forkRole(['--listener', server.url, prefix]));
  const received = listeners.map(() => new Map<string, number>());
  let wake: (() => void) | undefined;
  listeners.forEach((child, i) =>
    child.on('message', (m: unknown) => {
      if (m === 'ready') return;
      const { id, at } = m as { id: string; at: number };
      received[i]!.set(id, at);
      wake?.();
    }),
  );
  await Promise.all(listeners.map((child) => once(child, (m) => (m === 'ready' ? true : undefined))));
  const registry = new SessionRegistry({ store: new RedisSessionStore(server.url, { prefix }) });
  const all: number[] = [];
  const slowest: number[] = [];
  let missed = 0;
  for (let i = 0; i < count; i++) {
    const id = `s${i}`;
    const user = `user${i % 50}`;
    await registry.admit({ principal: user, sessionId: id });
    const started = wallClock();
    await registry.end(id, user, 'revoked');
    for (const until = Date.now() + 5000; !received.every((r) => r.has(id)) && Date.now() < until; ) {
      await Promise.race([new Promise<void>((r) => (wake = r)), sleep(100)]);
    }
    const delays = received.filter((r) => r.has(id)).map((r) => r.get(id)! - started);
    missed += received.length - delays.length;
    all.push(...delays);
    if (delays.length === received.length) slowest.push(Math.max(...delays));
  }
  await registry.close();
  for (const child of listeners) child.send('exit');
  await Promise.all(listeners.map((child) => new Promise((r) => child.once('exit', r))));
  await server.stop();
  return { all: all.sort((a, b) => a - b), slowest: slowest.sort((a, b) => a - b), missed };
}

interface Exchange {
  status: number;
  body: string;
  cookie: string;
  ms: number;
}

async function request(base: string, method: string, path: string, cookie: string, body?: unknown): Promise<Exchange> {
  const started = performance.now();
  const headers: Record<string, string> = { accept: 'application/json', cookie };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(new URL(path, base), { method, headers, redirect: 'manual', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  // The cookies as a browser would keep them: name=value of each Set-Cookie, expired ones dropped.
  const jar = new Map(cookie.split('; ').filter(Boolean).map((pair) => [pair.slice(0, pair.indexOf('=')), pair] as const));
  for (const line of response.headers.getSetCookie()) {
    const pair = line.split(';')[0]!;
    const name = pair.slice(0, pair.indexOf('='));
    if (/expires=Thu, 01 Jan 1970/i.test(line) || pair.length === name.length + 1) jar.delete(name);
    else jar.set(name, pair);
  }
  return { status: response.status, body: text, cookie: [...jar.values()].join('; '), ms: performance.now() - started };
}

interface LogoutResult {
  lines: string[];
}

async function logoutDuringOutage(): Promise<LogoutResult> {
  const { startExample } = await import('../../examples/koa/src/app.js');
  const server: RedisServer = await startRedisServer({ persistent: 'everysec' });
  const prefix = 'bench-logout:';
  const options = { prefix, commandTimeout: 1000 };
  const registry = new SessionRegistry({ store: new RedisSessionStore(server.url, options), maxSessions: 3, onStoreError: 'fail-open' });
  // "Another process": its own store, connection and bus subscription, same settings.
  const other = new SessionRegistry({ store: new RedisSessionStore(server.url, options), maxSessions: 3, onStoreError: 'fail-open' });
  registry.on('error', () => undefined);
  other.on('error', () => undefined);
  const app = await startExample({ registry });
  const lines: string[] = [];
  let t0 = 0;
  const at = (): string => `${((wallClock() - t0) / 1000).toFixed(2)} s`;
  const describe = (end: PendingEnd): string => (end.kind === 'one' ? 'logout' : end.kind === 'all' ? 'log out everywhere' : 'revoke');
  registry.on('endQueued', (end) => lines.push(`| ${at()} | event \`endQueued\` (${describe(end)}, kind \`${end.kind}\`) | |`));
  registry.on('endDelivered', (end, ended) => lines.push(`| ${at()} | event \`endDelivered\` (${describe(end)}): ${ended.length} session(s) ended, published | |`));
  registry.on('endDropped', (end, why) => lines.push(`| ${at()} | event \`endDropped\` (${describe(end)}, ${why}) | |`));
  const otherHeard: string[] = [];
  other.on('ended', (s, origin) => origin === 'remote' && otherHeard.push(s.sessionId));
  const show = (e: Exchange): string => `${e.status} \`${e.body.slice(0, 60)}\``;
  try {
    const login = async (user: string, deviceId: string): Promise<string> =>
      (await request(app.url, 'POST', '/login', '', { username: user, password: `${user}-pw`, deviceId })).cookie;
    const laptop = await login('alice', 'laptop');
    const bobA = await login('bob', 'desk');
    const bobB = await login('bob', 'tablet');
    const carolA = await login('carol', 'c1');
    const carolB = await login('carol', 'c2');
    const idOf = async (user: string, device: string): Promise<string> => (await registry.list(user)).find((s) => s.deviceId === device)!.sessionId;
    const laptopId = await idOf('alice', 'laptop');
    const bobBId = await idOf('bob', 'tablet');
    const c2Id = await idOf('carol', 'c2');
    const listed = JSON.parse((await request(app.url, 'GET', '/api/sessions', carolA)).body) as { sessions: Array<{ handle: string; deviceId: string }> };
    const c2Handle = listed.sessions.find((s) => s.deviceId === 'c2')!.handle;
    await waitFor(() => (other.store as RedisSessionStore).nearCacheActive, 10_000);

    t0 = wallClock();
    await server.kill();
    lines.push(`| ${at()} | Redis killed (SIGKILL) | |`);
    // The three devices ask at once, as users would during the same outage.
    const [logout, everywhere, revoke] = await Promise.all([
      request(app.url, 'POST', '/logout', laptop),
      request(app.url, 'POST', '/logout-everywhere', bobA, {}),
      request(app.url, 'DELETE', `/api/sessions/${c2Handle}`, carolA),
    ]);
    lines.push(`| ${at()} | the laptop: \`POST /logout\` | ${show(logout)} in ${logout.ms.toFixed(0)} ms; session cookie ${logout.cookie.includes('sid=') ? 'kept' : 'cleared'} |`);
    lines.push(`| ${at()} | bob's desk: \`POST /logout-everywhere\` | ${show(everywhere)} in ${everywhere.ms.toFixed(0)} ms; cookie ${everywhere.cookie.includes('sid=') ? 'kept' : 'cleared'} |`);
    lines.push(`| ${at()} | carol's c1 revokes c2: \`DELETE /api/sessions/<handle>\` | ${revoke.status} in ${revoke.ms.toFixed(0)} ms |`);
    const [copy1, copy2, copy3, otherCheck] = await Promise.all([
      request(app.url, 'GET', '/api/me', laptop),
      request(app.url, 'GET', '/api/me', bobB),
      request(app.url, 'GET', '/api/me', carolB),
      other.check(laptopId, 'alice'),
    ]);
    lines.push(`| ${at()} | a copy of the laptop's cookie, this process | ${show(copy1)} in ${copy1.ms.toFixed(0)} ms |`);
    lines.push(`| ${at()} | bob's tablet (not the device that asked), this process | ${show(copy2)} in ${copy2.ms.toFixed(0)} ms |`);
    lines.push(`| ${at()} | carol's c2, this process | ${show(copy3)} in ${copy3.ms.toFixed(0)} ms |`);
    lines.push(`| ${at()} | the laptop's session, another process's \`check\` | \`${otherCheck.status}\`${otherCheck.status === 'unavailable' ? `, allow ${otherCheck.allow} (its onStoreError)` : ''} |`);
    await sleep(Math.max(0, OUTAGE_MS - (wallClock() - t0)));
    await server.restart();
    const restartAt = wallClock();
    lines.push(`| ${at()} | Redis restarted (AOF) | |`);
    const copy4 = await request(app.url, 'GET', '/api/me', laptop);
    lines.push(`| ${at()} | the laptop's copy, this process, ${registry.pendingEnds().length > 0 ? 'ends still queued' : 'ends already delivered'} | ${show(copy4)} |`);
    const otherBefore = await other.check(laptopId, 'alice').catch(() => undefined);
    lines.push(`| ${at()} | another process's \`check\` of it, ${registry.pendingEnds().length > 0 ? 'ends still queued' : 'after delivery'} | \`${otherBefore?.status}\` |`);
    const emptied = await waitFor(() => registry.pendingEnds().length === 0, 30_000);
    lines.push(`| ${at()} | ${emptied ? 'queue empty' : `${registry.pendingEnds().length} ends still queued`}, ${((wallClock() - restartAt) / 1000).toFixed(2)} s after the restart | |`);
    // Its subscriber may still be reconnecting when the end is published: then it misses
    // the message (its near cache stays bypassed until the bus is back, so its checks ask Redis).
    const heard = await waitFor(() => otherHeard.includes(laptopId), 5000);
    lines.push(`| ${at()} | ${heard ? "the other process hears the laptop's end on the bus (`ended`, remote)" : 'the other process did not hear it on the bus within 5 s (its subscriber was reconnecting)'} | |`);
    const copy5 = await request(app.url, 'GET', '/api/me', laptop);
    const copy6 = await request(app.url, 'GET', '/api/me', bobB);
    const copy7 = await request(app.url, 'GET', '/api/me', carolB);
    lines.push(`| ${at()} | the three copies, this process | ${show(copy5)}; ${show(copy6)}; ${show(copy7)} |`);
    const afterOther = await Promise.all([other.check(laptopId, 'alice'), other.check(bobBId, 'bob'), other.check(c2Id, 'carol')]);
    lines.push(`| ${at()} | the same three, another process's \`check\` | ${afterOther.map((c) => `\`${c.status}\`${c.status === 'ended' ? ` (${c.reason})` : ''}`).join(', ')} |`);
  } finally {
    await app.close();
    await registry.close();
    await other.close();
    await server.dispose();
  }
  return { lines };
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const writeResults = process.argv.includes('--write-results');
  const load = loadavg()[0]!.toFixed(1);
  const started = new Date().toISOString().slice(0, 16).replace('T', ' ');
  process.stdout.write('outage under load, AOF Redis …\n');
  const aof = await outageUnderLoad(true);
  process.stdout.write('outage under load, Redis without persistence …\n');
  const empty = await outageUnderLoad(false);
  process.stdout.write('revocation to 3 other processes …\n');
  const rev = await revocations(500);
  process.stdout.write('logout during a 5 s outage through the Koa example …\n');
  const logout = await logoutDuringOutage();
  const loadAfter = loadavg()[0]!.toFixed(1);
  const redisVersion = /v=(\S+)/.exec(execFileSync(process.env.REDIS_SERVER ?? 'redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? '?';

  const row = (r: OutageResult): string => {
    const rec = r.recovery.filter((x) => Number.isFinite(x));
    return `| ${r.persistent ? 'AOF (everysec)' : 'none (restarts empty)'} | ${r.crashes} | ${r.unhandled} | ${r.overLimitSamples} of ${r.listings} (max ${r.maxActive}) | ${r.revivals} | ${r.wrongAllow} (fail-closed ${r.unavailable.closed}, fail-open ${r.unavailable.open} unavailable) | ${mb(r.heapBefore)} → ${mb(r.heapOutage)} MB (RSS ${mb(r.rssBefore)} → ${mb(r.rssOutage)}) | ${(median(rec) / 1000).toFixed(2)} s (max ${(Math.max(...rec) / 1000).toFixed(2)} s) | ${r.queued} / ${r.delivered} / ${r.dropped} | ${r.dataLost.join(', ')} | ${r.otherErrors} |`;
  };
  const block = [
    `Run ${started} UTC, load average ${load} before and ${loadAfter} after (2-core VM${Number(load) > 1.5 ? ', shared with other jobs' : ''}); Redis ${redisVersion} on loopback.`,
    '',
    `**Outage under load**: 4 processes (2 fail-closed, 2 fail-open), 30 users, limit ${LIMIT}, 4 callers each; Redis SIGKILLed after 4 s, down ${OUTAGE_MS / 1000} s, restarted on the same port, 6 s more. Columns: crashes, unhandled rejections, listings over the limit (every user every 500 ms while Redis is up), revivals (\`active\` after the session's end was asked or seen), outage answers that disagree with \`onStoreError\`, the heaviest process's heap before → during the outage, restart → first admitted login (median and max of the 4), ends queued / delivered / dropped, \`ERR_STORE_DATA_LOST\` reports per process, errors other than \`ERR_STORE\`.`,
    '',
    '| Redis persistence | crashes | unhandled | over the limit | revivals | wrong fail mode | heap during outage | recovery | ends q / d / dropped | data lost reported | other errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row(aof),
    row(empty),
    '',
    `Operations before the outage: ${aof.opsBefore} (AOF run) in 4 s; during it, each call waits up to the 1 s command timeout: ${aof.storeErrorsOutage} \`ERR_STORE\`, ${aof.opsOutage} answered (checks answered \`unavailable\` count as answered).${aof.otherSamples.length + empty.otherSamples.length > 0 ? ` Samples (other errors, revivals): ${[...aof.otherSamples, ...empty.otherSamples].map((s) => `\`${s.slice(0, 80)}\``).join('; ')}.` : ''}`,
    '',
    `**Revocation to 3 other processes**: 500 ends in sequence, \`end()\` here → \`ended\` (remote) in each of 3 child processes: p50 ${quantile(rev.all, 0.5).toFixed(2)} ms, p99 ${quantile(rev.all, 0.99).toFixed(2)} ms, max ${quantile(rev.all, 1).toFixed(2)} ms over the 1 500 deliveries; the slowest of the 3 per end: p50 ${quantile(rev.slowest, 0.5).toFixed(2)} ms, p99 ${quantile(rev.slowest, 0.99).toFixed(2)} ms; ${rev.missed} deliveries not seen within 5 s.`,
    '',
    '**A logout during a 5-second outage** (Koa example, koa-session cookie mode, fail-open, AOF Redis; "another process" is a second registry with its own connection):',
    '',
    '| time from the kill | what | answer |',
    '| --- | --- | --- |',
    ...logout.lines,
    '',
    'Reproduce: `node --conditions=session-policy-source --import tsx benchmarks/stores/outage.ts --write-results` (about 1.5 minutes).',
  ].join('\n');
  console.log(`\n${block}\n`);
  if (writeResults) {
    await writeResultsBlock(
      new URL('../RESULTS.md', import.meta.url).pathname,
      { heading: '## Faults (issue #19)', name: 'faults', note: 'generated by benchmarks/stores/outage.ts --write-results' },
      block,
    );
    console.log('RESULTS.md updated');
  }
}

const [role, ...rest] = process.argv.slice(2);
if (role === '--load') await loadWorker(rest[0]!, rest[1]!, rest[2] as 'fail-closed' | 'fail-open', rest[3]!);
else if (role === '--listener') runRevocationListener(rest[0]!, rest[1]!);
else await main();
