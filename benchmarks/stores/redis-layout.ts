// The Redis layout of issue #13, measured side by side on one redis-server started here
// (free loopback port, persistence off), in interleaved rounds (median and spread):
//
// - Redis time per login (INFO commandstats: the scripts' own time, which includes the
//   commands they call, plus the commands the client sends itself) for a principal at its
//   limit with 32 tombstones vs none, and against an empty script (`return 1`);
// - admits/s with 50 concurrent callers vs EVALSHA of `return 1` with 50 callers;
// - check p50 (fast path, no near cache) vs a GET through the same client;
// - a principal with 100,000 sessions: admit, check, list, end, end all work, and a
//   login's Redis time vs a principal with 10;
// - the floor beside the login rows: admit-floor-6.lua, the fewest commands any layout
//   needs for an evicting login (seven, no rule but the limit and the cap), with the
//   same keys and arguments, its Redis time per login and its admits/s with 50 callers.
//
//   node --conditions=session-policy-source --import tsx benchmarks/stores/redis-layout.ts [--rounds 5] [--write-results]
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createClient } from '@keyv/redis';
import { leastRecentlySeen, type SessionInfo } from '@session-policy/core';
import { type AdmitRequest, type Timeouts } from '@session-policy/core/store';
import { RedisSessionStore } from '@session-policy/redis';
import { startRedisServer } from '@session-policy/test-helpers/redis-server';
import { encodeRecord } from '../../packages/redis/src/record-codec.js';
import { writeResultsBlock } from '../results-block.js';

const args = process.argv.slice(2);
const ROUNDS = Number(args[args.indexOf('--rounds') + 1]) || 5;
const WRITE = args.includes('--write-results');
const LIMIT = 3;
const TIMEOUTS: Timeouts = { idle: 30 * 60_000, absolute: Infinity, retention: 24 * 3_600_000, maxTombstones: 32 };
const POLICY = leastRecentlySeen();
const EMPTY = 'return 1';
const EMPTY_SHA = createHash('sha1').update(EMPTY).digest('hex');

const server = await startRedisServer();
const client = createClient({ url: server.url });
await client.connect();
const admin = client.duplicate();
await admin.connect();
const store = new RedisSessionStore(client as never, { nearCache: false, bus: false, commandTimeout: 60_000 });
await admin.sendCommand(['SCRIPT', 'LOAD', EMPTY]);
const FLOOR = readFileSync(new URL('./admit-floor-6.lua', import.meta.url), 'utf8');
const FLOOR_SHA = String(await admin.sendCommand(['SCRIPT', 'LOAD', FLOOR]));

let seq = 0;
function candidate(principalKey: string, now: number): SessionInfo {
  return { sessionId: `s${seq++}`, principalKey, createdAt: now, lastSeenAt: now, state: 'active', userAgent: 'Mozilla/5.0 (bench)', ip: '127.0.0.1' };
}
function admitRequest(principalKey: string, limit: number, now = Date.now()): AdmitRequest {
  return { candidate: candidate(principalKey, now), limit, onLimit: 'evict', policy: POLICY, timeouts: TIMEOUTS, now };
}

/** Microseconds Redis spent, by command name (INFO commandstats). */
async function stats(): Promise<Map<string, { calls: number; usec: number }>> {
  const info = await admin.info('commandstats');
  const out = new Map<string, { calls: number; usec: number }>();
  for (const m of info.matchAll(/cmdstat_([\w|]+):calls=(\d+),usec=(\d+)/g)) out.set(m[1]!, { calls: Number(m[2]), usec: Number(m[3]) });
  return out;
}

/**
 * Redis time of `work`, per operation: scripts (their time includes the commands they
 * call) plus the commands the store sends itself (SET of the owner key, HGET of a check).
 */
async function redisTime(ops: number, work: () => Promise<void>, clientCommands: readonly string[]): Promise<number> {
  await admin.sendCommand(['CONFIG', 'RESETSTAT']);
  await work();
  const s = await stats();
  let usec = 0;
  for (const name of ['evalsha', 'eval', ...clientCommands]) usec += s.get(name)?.usec ?? 0;
  return usec / ops;
}

/** `count` principals at their limit with `tombstones` tombstones each. */
async function principalsAt(tag: string, count: number, tombstones: number): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => `${tag}-${i}`);
  await Promise.all(
    keys.map(async (p) => {
      for (let i = 0; i < tombstones + LIMIT; i++) await store.admit(admitRequest(p, LIMIT));
    }),
  );
  return keys;
}

async function loginCost(tombstones: number): Promise<number> {
  const principals = await principalsAt(`t${tombstones}-${seq}`, 200, tombstones);
  return redisTime(principals.length, async () => {
    for (const p of principals) await store.admit(admitRequest(p, LIMIT));
  }, ['set', 'get']);
}

/** One login through the floor script, with the store's keys and arguments for it. */
function floorLogin(principalKey: string): Promise<unknown> {
  const request = admitRequest(principalKey, LIMIT);
  const { sessionId } = request.candidate;
  const keys = store.keysOf(`floor:${principalKey}`).all;
  const record = encodeRecord(request.candidate);
  return client.sendCommand(['EVALSHA', FLOOR_SHA, String(keys.length), ...keys, String(request.now), '1800000', 'inf', '86400000', '32', principalKey, '', 'origin', sessionId, record, '', String(LIMIT), 'evict', 'last-seen', '0', '0']);
}

async function floorCost(): Promise<number> {
  const principals = Array.from({ length: 200 }, (_, i) => `floor-${seq}-${i}`);
  await Promise.all(principals.map(async (p) => {
    for (let i = 0; i < 32 + LIMIT; i++) await floorLogin(p);
  }));
  return redisTime(principals.length, async () => {
    for (const p of principals) await floorLogin(p);
  }, []);
}

async function emptyCost(): Promise<number> {
  return redisTime(2000, async () => {
    for (let i = 0; i < 2000; i++) await client.sendCommand(['EVALSHA', EMPTY_SHA, '0']);
  }, []);
}

/** Operations per second with `callers` at once for `ms`, and this process's CPU time per operation (µs: node-redis, the store, the promises). */
async function throughput(callers: number, ms: number, op: (caller: number) => Promise<unknown>): Promise<{ rate: number; cpu: number }> {
  let done = 0;
  const cpu = process.cpuUsage();
  const until = Date.now() + ms;
  await Promise.all(
    Array.from({ length: callers }, async (_, c) => {
      while (Date.now() < until) {
        await op(c);
        done++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { rate: (done / ms) * 1000, cpu: (used.user + used.system) / done };
}

async function p50(samples: number, op: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint();
    await op();
    times.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return median(times);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
function spread(xs: readonly number[], digits = 2): string {
  return `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
}

// The big principal: 100,000 sessions (no limit), and a small one with 10.
async function fill(principalKey: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, count - i) }, () => store.admit(admitRequest(principalKey, Infinity))));
  }
}
process.stdout.write('filling a principal with 100,000 sessions …\n');
const BIG = 'service-account';
const SMALL = 'ten-sessions';
const t0 = Date.now();
await fill(BIG, 100_000);
await fill(SMALL, 10);
process.stdout.write(`  filled in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

const rows = {
  none: [] as number[],
  tomb32: [] as number[],
  empty: [] as number[],
  admits: [] as number[],
  evals: [] as number[],
  check: [] as number[],
  get: [] as number[],
  big: [] as number[],
  small: [] as number[],
  floor: [] as number[],
  floorAdmits: [] as number[],
  admitCpu: [] as number[],
};
await client.set('bench:get', 'x');
const checkKey = 'checker';
const checkSession = (await store.admit(admitRequest(checkKey, Infinity))) as { session: SessionInfo };
for (let round = 0; round < ROUNDS; round++) {
  process.stdout.write(`round ${round + 1}/${ROUNDS}\n`);
  rows.none.push(await loginCost(0));
  rows.empty.push(await emptyCost());
  rows.tomb32.push(await loginCost(32));
  rows.floor.push(await floorCost());
  rows.evals.push((await throughput(50, 1500, () => client.sendCommand(['EVALSHA', EMPTY_SHA, '0']))).rate);
  const admits = await throughput(50, 1500, (c) => store.admit(admitRequest(`tp-${round}-${c}`, LIMIT)));
  rows.admits.push(admits.rate);
  rows.admitCpu.push(admits.cpu);
  rows.floorAdmits.push((await throughput(50, 1500, (c) => floorLogin(`ftp-${round}-${c}`))).rate);
  const check = { principalKey: checkKey, sessionId: checkSession.session.sessionId, now: Date.now(), timeouts: TIMEOUTS };
  rows.get.push(await p50(3000, () => client.sendCommand(['GET', 'bench:get'])));
  rows.check.push(await p50(3000, () => store.check(check)));
  rows.big.push(await redisTime(200, async () => {
    for (let i = 0; i < 200; i++) await store.admit(admitRequest(BIG, Infinity));
  }, ['set', 'get']));
  rows.small.push(await redisTime(200, async () => {
    for (let i = 0; i < 200; i++) await store.admit(admitRequest(SMALL, Infinity));
  }, ['set', 'get']));
}

// The 100,000-session principal's other operations, once (timed, and checked to work).
const now = Date.now();
const big = { principalKey: BIG, now, timeouts: TIMEOUTS };
const timed = async <T>(what: string, op: () => Promise<T>): Promise<[T, string]> => {
  const start = process.hrtime.bigint();
  const value = await op();
  return [value, `${what} ${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(0)} ms`];
};
const listed = await timed('list', () => store.list(big));
const someId = listed[0].sessions[5]!.sessionId;
const checked = await timed('check', () => store.check({ ...big, sessionId: someId }));
const ended = await timed('end', () => store.end({ ...big, sessionId: someId, reason: 'logout' }));
const endedAll = await timed('end all', () => store.endAll({ ...big, reason: 'logout' }));
const bigOps = [
  `${listed[1]} (${listed[0].sessions.length} sessions)`,
  `${checked[1]} (${checked[0].status})`,
  `${ended[1]} (${ended[0].ended.length} ended)`,
  `${endedAll[1]} (${endedAll[0].ended.length} ended)`,
].join(', ');

const ratio = (a: number[], b: number[]) => a.map((x, i) => x / b[i]!);
const fmt = (xs: number[], d = 1) => `${median(xs).toFixed(d)} (${spread(xs, d)})`;
const r32 = ratio(rows.tomb32, rows.none);
const rEmpty = ratio(rows.none, rows.empty);
const rAdmits = ratio(rows.admits, rows.evals);
const rCheck = ratio(rows.check, rows.get);
const rBig = ratio(rows.big, rows.small);
const rFloor = ratio(rows.floor, rows.empty);
const rFloorAdmits = ratio(rows.floorAdmits, rows.evals);
const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
const block = `Measured ${new Date().toISOString().slice(0, 10)} on this machine (2 cores shared with other jobs), ${ROUNDS} interleaved rounds, median (min–max). Redis time from \`INFO commandstats\`: the scripts' own time (it includes the commands they call) plus the commands the store sends itself (\`SET … GET\` of the owner key). Command: \`node --conditions=session-policy-source --import tsx benchmarks/stores/redis-layout.ts --write-results\`.

| measure | value | ratio | target |
| --- | --- | --- | --- |
| Redis µs per login, principal at its limit (3), no tombstones | ${fmt(rows.none)} | | |
| Redis µs per login, same with 32 tombstones | ${fmt(rows.tomb32)} | ${fmt(r32, 2)}× | ≤ 1.2× — ${verdict(median(r32) <= 1.2)} |
| Redis µs per EVALSHA of \`return 1\` | ${fmt(rows.empty, 2)} | login ${fmt(rEmpty, 1)}× | ≤ 15× — ${verdict(median(rEmpty) <= 15)} |
| floor: Redis µs per login of \`admit-floor-6.lua\` (32 tombstones, at its cap) | ${fmt(rows.floor)} | ${fmt(rFloor, 1)}× the empty script | the floor of the login rows |
| admits/s, 50 callers (evicting at limit 3) | ${fmt(rows.admits, 0)} | ${fmt(rAdmits.map((x) => x * 100), 0)} % | ≥ 50 % of EVALSHA \`return 1\` — ${verdict(median(rAdmits) >= 0.5)} |
| Node CPU µs per admit in that run (\`process.cpuUsage()\`: node-redis, the store, promises) | ${fmt(rows.admitCpu)} | | |
| floor: \`admit-floor-6.lua\`/s, 50 callers (no decoding in Node) | ${fmt(rows.floorAdmits, 0)} | ${fmt(rFloorAdmits.map((x) => x * 100), 0)} % | the floor of the admits/s row |
| EVALSHA \`return 1\`/s, 50 callers | ${fmt(rows.evals, 0)} | | |
| check p50 µs (fast path, near cache off) | ${fmt(rows.check)} | ${fmt(rCheck, 2)}× | ≤ 1.25× a GET — ${verdict(median(rCheck) <= 1.25)} |
| GET p50 µs, same client | ${fmt(rows.get)} | | |
| Redis µs per login, principal with 100,000 sessions (no limit) | ${fmt(rows.big)} | ${fmt(rBig, 2)}× | ≤ 2× the 10-session one — ${verdict(median(rBig) <= 2)} |
| Redis µs per login, principal with 10 sessions (no limit) | ${fmt(rows.small)} | | |

The 100,000-session principal, once after the rounds: ${bigOps}.`;
process.stdout.write(`\n${block}\n`);
if (WRITE) {
  await writeResultsBlock(
    fileURLToPath(new URL('../RESULTS.md', import.meta.url)),
    { heading: '## Redis layout (issue #13)', name: 'redis-layout', note: '(generated by `benchmarks/stores/redis-layout.ts --write-results`; edit the script, not this block)' },
    block,
  );
}
await store.close();
admin.destroy();
client.destroy();
await server.stop();
