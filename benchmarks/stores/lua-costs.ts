// What a Redis script's time is made of (issue #13: why a login costs what it costs), on
// one redis-server started here (free loopback port, persistence off), warm: every figure
// is `INFO commandstats` (usec per EVALSHA or FCALL) over pipelined calls (batches of 100
// through one node-redis client), median and spread over interleaved rounds.
//
// - snippets: `return 1` bare and with a login's 6 keys and 16 arguments; one command of
//   each kind a login makes; Lua work a login does, 100 times in a loop;
// - whole logins into principals at their limit (3) with 32 tombstones: the store's
//   admit-6.lua through EVALSHA, the same code as a Redis Function (FUNCTION LOAD once,
//   FCALL: the includes' functions are made once, not on every call), and the floor
//   (admit-floor-6.lua: no rule but the limit and the cap, seven commands).
//
//   node --conditions=session-policy-source --import tsx benchmarks/stores/lua-costs.ts [--rounds 7] [--write-results]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createClient } from '@keyv/redis';
import { SCRIPTS } from '@session-policy/redis';
import { encodeRecord } from '../../packages/redis/src/record-codec.js';
import { startRedisServer } from '@session-policy/test-helpers/redis-server';
import { writeResultsBlock } from '../results-block.js';

const args = process.argv.slice(2);
const ROUNDS = Number(args[args.indexOf('--rounds') + 1]) || 7;
const WRITE = args.includes('--write-results');
const BATCH = 100;

const server = await startRedisServer();
const client = createClient({ url: server.url });
await client.connect();
const admin = client.duplicate();
await admin.connect();

// A login's shape: six keys (only the first two exist), sixteen arguments.
const KEYS = ['z', 'h', 'k3', 'k4', 'k5', 'k6'];
const ARGS = Array.from({ length: 16 }, (_, i) => `argument-${i}`);
for (let i = 0; i < 38; i++) await admin.zAdd('z', { score: 1_764_600_000_000 + i, value: `m${i}` });
const RECORD = encodeRecord({ sessionId: 's123456', principalKey: 'p-1-2', createdAt: 1_764_612_345_678, lastSeenAt: 1_764_612_345_678, state: 'active', userAgent: 'Mozilla/5.0 (bench)', ip: '127.0.0.1' });
await admin.hSet('h', { a: RECORD, b: RECORD, c: RECORD, ' w': '7' });

const DIR = new URL('../../packages/redis/src/scripts/', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, DIR), 'utf8');
const SPLIT = read('includes/split-record.lua');
const lua = (s: string) => s.replace(/'/g, "\\'");

/** [name, script, whether it is called with a login's keys and arguments]. */
const SNIPPETS: [string, string, boolean][] = [
  ['`return 1`, no keys or arguments', 'return 1', false],
  ['`return 1` with a login’s 6 keys and 16 arguments (the base of every row below)', 'return 1', true],
  ['+ `ZRANGE` of 4 members', "redis.call('ZRANGE', KEYS[1], 0, 3) return 1", true],
  ['+ `ZRANGE` of 4 members `WITHSCORES`', "redis.call('ZRANGE', KEYS[1], 0, 3, 'WITHSCORES') return 1", true],
  ['+ `ZSCORE`', "redis.call('ZSCORE', KEYS[1], 'm1') return 1", true],
  ['+ `HMGET` of 4 fields (3 records)', "redis.call('HMGET', KEYS[2], 'a', 'b', 'c', ' w') return 1", true],
  ['+ `PTTL`', "redis.call('PTTL', KEYS[2]) return 1", true],
  ['+ 100 × `splitRecord` of a record (7 captures)', `${SPLIT} local v = '${lua(RECORD)}' for i = 1, 100 do splitRecord(v) end return 1`, true],
  ['+ 100 × a tombstone’s concatenation', `local v = '${lua(RECORD)}' for i = 1, 100 do local t = 'e|' .. string.sub(v, 3) .. i end return 1`, true],
  ["+ 100 × `string.format('%.17g', x)`", "for i = 1, 100 do string.format('%.17g', 1764612345678 + i) end return 1", true],
  ['+ 100 closures', 'for i = 1, 100 do local f = function(x) return x + i end end return 1', true],
];

async function load(source: string): Promise<string> {
  return String(await admin.sendCommand(['SCRIPT', 'LOAD', source]));
}

/** usec per call of `command` (lower-case commandstats name) over `calls` pipelined calls. */
async function usecPerCall(command: string, calls: number, send: (i: number) => Promise<unknown>): Promise<number> {
  await admin.sendCommand(['CONFIG', 'RESETSTAT']);
  for (let i = 0; i < calls; i += BATCH) await Promise.all(Array.from({ length: Math.min(BATCH, calls - i) }, (_, j) => send(i + j)));
  const info = await admin.info('commandstats');
  const m = new RegExp(`cmdstat_${command}:calls=(\\d+),usec=(\\d+)`).exec(info);
  return m ? Number(m[2]) / Number(m[1]) : Number.NaN;
}

// Whole logins: the store's admit script (SCRIPTS.admit) as EVALSHA; the same code as a
// library function, its includes at the library's top level (made once, at FUNCTION LOAD)
// and its body the function; the floor.
const admitSha = await load(SCRIPTS.admit.source);
const seen = new Set<string>();
let includes = '';
const body = read('admit-6.lua').replace(/^-- @include "([^"]+)"$/gm, (_, path: string) => {
  if (!seen.has(path)) {
    seen.add(path);
    includes += `${read(path)}\n`;
  }
  return '';
});
await admin.sendCommand(['FUNCTION', 'LOAD', 'REPLACE', `#!lua name=session_policy_bench\n${includes}\nredis.register_function('admit', function(KEYS, ARGV)\n${body}\nend)\n`]);
const floorSha = await load(readFileSync(new URL('./admit-floor-6.lua', import.meta.url), 'utf8'));
let seq = 0;
const loginKeys = (p: string) => ['r', 'l', 'c', 'd', 'e', 'due'].map((k) => `bench:{${p}}:${k}`);
function login(how: 'eval' | 'fcall' | 'floor', p: string): Promise<unknown> {
  const now = Date.now();
  const id = `s${seq++}`;
  const record = encodeRecord({ sessionId: id, principalKey: p, createdAt: now, lastSeenAt: now, state: 'active', userAgent: 'Mozilla/5.0 (bench)', ip: '127.0.0.1' });
  const head = how === 'fcall' ? ['FCALL', 'admit'] : ['EVALSHA', how === 'eval' ? admitSha : floorSha];
  const keys = loginKeys(p);
  return client.sendCommand([...head, String(keys.length), ...keys, String(now), '1800000', 'inf', '86400000', '32', p, '', 'origin', id, record, '', '3', 'evict', 'last-seen', '0', '0']);
}
async function logins(how: 'eval' | 'fcall' | 'floor', round: number): Promise<number> {
  const principals = Array.from({ length: 500 }, (_, i) => `${how}-${round}-${i}`);
  // At the limit with 32 tombstones: 3 + 32 logins each, then one more each, measured.
  for (let i = 0; i < 35; i++) await Promise.all(principals.map((p) => login(how, p)));
  return usecPerCall(how === 'fcall' ? 'fcall' : 'evalsha', principals.length, (i) => login(how, principals[i]!));
}

const shas = await Promise.all(SNIPPETS.map(([, source]) => load(source)));
const rows = SNIPPETS.map(() => [] as number[]);
const whole = { eval: [] as number[], fcall: [] as number[], floor: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  process.stdout.write(`round ${round + 1}/${ROUNDS}\n`);
  for (let i = 0; i < SNIPPETS.length; i++) {
    const [, , shaped] = SNIPPETS[i]!;
    const tail = shaped ? [String(KEYS.length), ...KEYS, ...ARGS] : ['0'];
    rows[i]!.push(await usecPerCall('evalsha', 20_000, () => client.sendCommand(['EVALSHA', shas[i]!, ...tail])));
  }
  const order: Array<'eval' | 'fcall' | 'floor'> = ['eval', 'fcall', 'floor'];
  if (round % 2) order.reverse();
  for (const how of order) whole[how].push(await logins(how, round));
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
const fmt = (xs: readonly number[]) => `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;
const base = rows[1]!;
const lines = SNIPPETS.map(([name], i) => {
  const extra = i > 1 ? rows[i]!.map((x, r) => x - base[r]!) : undefined;
  return `| ${name} | ${fmt(rows[i]!)} | ${extra ? fmt(extra) : ''} |`;
});
const empty = rows[0]!;
const ratio = (xs: readonly number[]) => xs.map((x, r) => x / empty[r]!);
const block = `Measured ${new Date().toISOString().slice(0, 10)} on this machine (2 cores shared with other jobs), redis-server ${String((await admin.info('server')).match(/redis_version:(\S+)/)?.[1])}, ${ROUNDS} interleaved rounds, median (min–max). Warm: pipelined calls (batches of ${BATCH}), \`INFO commandstats\` µs per call. Command: \`node --conditions=session-policy-source --import tsx benchmarks/stores/lua-costs.ts --write-results\`.

| script | µs per call | µs over the base |
| --- | --- | --- |
${lines.join('\n')}

| whole login, principal at its limit (3) with 32 tombstones | µs per call | × \`return 1\` |
| --- | --- | --- |
| \`admit-6.lua\` (EVALSHA) | ${fmt(whole.eval)} | ${fmt(ratio(whole.eval))} |
| the same code as a Redis Function (FCALL) | ${fmt(whole.fcall)} | ${fmt(ratio(whole.fcall))} |
| floor: \`admit-floor-6.lua\` (no rule but the limit and the cap; seven commands) | ${fmt(whole.floor)} | ${fmt(ratio(whole.floor))} |`;
process.stdout.write(`\n${block}\n`);
if (WRITE) {
  await writeResultsBlock(
    fileURLToPath(new URL('../RESULTS.md', import.meta.url)),
    { heading: '## What a Redis script costs (issue #13)', name: 'lua-costs', note: '(generated by `benchmarks/stores/lua-costs.ts --write-results`; edit the script, not this block)' },
    block,
  );
}
await admin.sendCommand(['FUNCTION', 'DELETE', 'session_policy_bench']);
admin.destroy();
client.destroy();
await server.stop();
