// HTTP overhead of session-policy (issue #5): GET /hello of a signed-in user on Express,
// Koa, hapi and Fastify — bare, with the session library only (the baseline), and with the
// session library plus session-policy (embedded store; Redis + near cache; Redis
// without; Postgres + near cache; Postgres without) — each server in its own process,
// driven by autocannon from this one, in interleaved rounds; medians of per-round ratios
// to the baseline, with their spread.
//
//   npm run bench:http                  # full: 6 rounds × 1.5 s per variant after 1.5 s of warm-up (~6 min), updates RESULTS.md
//   npm run bench:http -- --quick       # harness check: 1 round × 300 requests (figures not meaningful)
//   npm run bench:http -- --rounds 7 --duration 3 --frameworks express --no-write [--no-pin]
//   npm run bench:http -- --control     # adds an A/A row (a second baseline server): the run's noise floor; writes nothing
//   npm run bench:http -- --paired      # each variant loaded at the same time as the baseline, with the A/A row (~7 min), updates RESULTS.md
//   npm run bench:http -- --profile express/session,express/policy-embedded [--duration 5] [--no-heap]
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { postgresBin } from '@session-policy/test-helpers/postgres-server';
import { measureAll, type HarnessOptions, type Measurement } from './harness.js';
import { librariesLine, renderTable, renderVerdicts, summarize, type Summary } from './report.js';
import { profileVariants } from './profile.js';
import { writeResultsBlock } from './results-section.js';
import { FRAMEWORKS, VARIANTS, type Framework } from './variants.js';

/** Settings of a full run and of a quick one. */
export const FULL = { rounds: 6, duration: 1.5, warmup: 1.5 } as const;
// Quick: a number of requests rather than a duration, so that a slow machine still gets answers.
export const QUICK = { rounds: 1, duration: 0.3, amount: 300, warmup: 0 } as const;

/** What a run produced: the raw measurements, their summaries and the Markdown section. */
export interface HttpBenchResult {
  readonly measurements: readonly Measurement[];
  readonly summaries: readonly Summary[];
  readonly section: string;
}

/** Options of {@link benchHttp}. */
export interface BenchHttpOptions extends Partial<HarnessOptions> {
  readonly quick: boolean;
}

/**
 * Runs the HTTP benchmark and renders its section (without writing it anywhere).
 *
 * @param options - `quick` picks the settings; the harness options override them.
 */
export async function benchHttp(options: BenchHttpOptions): Promise<HttpBenchResult> {
  const settings = { ...(options.quick ? QUICK : FULL), ...options };
  const frameworks = settings.frameworks ?? FRAMEWORKS;
  const load = { before: loadavg()[0]! };
  const started = performance.now();
  const { measurements, pinning } = await measureAll({ ...settings, frameworks });
  const seconds = (performance.now() - started) / 1000;
  const summaries = summarize(measurements);
  const connections = settings.connections ?? 10;
  const section = [
    `Command: \`npm run bench:http${options.paired ? ' -- --paired' : options.quick ? ' -- --quick' : ''}\`${options.paired ? '' : ' (also part of `npm run bench`)'}${options.quick ? ' — quick: a harness check, the figures mean nothing' : ''}. ${environment()}; load average ${load.before.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after; ${seconds.toFixed(0)} s.`,
    '',
    options.paired
      ? `Setup: each variant's server in its own Node process on a loopback port, autocannon ${version('autocannon')} in the parent (${connections} connections per server, pipelining 1, keep-alive) on \`GET /hello\` (body \`hello\`). **Paired**: every variant is loaded for ${'amount' in settings && settings.amount !== undefined ? `${settings.amount} requests` : `${settings.duration} s`} at the same time as a baseline server of its own (its twin, started, warmed up and loaded only with it; two autocannon runs at once), both servers on the same core, so the two share the machine's state second by second and have the same history; ${settings.rounds} round(s), the variants' order rotated each round, after ${settings.warmup} s of warm-up per server; ${pinning}. The two servers split the core between them: a server that costs more per request serves fewer, so the req/s ratio is the inverse of the per-request cost ratio, and the CPU per request is each process's own \`process.cpuUsage()\` over the requests it counted, in a window opened (after a full GC) right before the pair's run and closed right after it. The A/A row (a second server exactly like the baseline, paired the same way) is this run's noise floor. Session variants log in once (\`POST /login\`, admitted by the policy where there is one: at most 2 sessions, defaults otherwise) and send that cookie on every request; any non-200 voids the run. Session libraries: ${librariesLine(frameworks)}. Redis variants: one local redis-server ${redisVersion()} (persistence off), default near cache (1 s TTL). Postgres variants: one throwaway PostgreSQL ${postgresVersion()}, default near cache (1 s TTL), default pool (10).`
      : `Setup: each variant's server in its own Node process on a loopback port, autocannon ${version('autocannon')} in the parent (${connections} connections, pipelining 1, keep-alive) on \`GET /hello\` (body \`hello\`); ${settings.rounds} interleaved round(s) of ${'amount' in settings && settings.amount !== undefined ? `${settings.amount} requests` : `${settings.duration} s`} per variant (order rotated each round) after ${settings.warmup} s of warm-up per server; ${pinning}. Server CPU per request: the server process's own \`process.cpuUsage()\` over the requests it counted itself, in a window opened right before each run (after a full GC, in every variant alike) and closed right after it. Session variants log in once (\`POST /login\`, admitted by the policy where there is one: at most 2 sessions, defaults otherwise) and send that cookie on every request; the route answers 401 without a signed-in user and any non-200 voids the run. Session libraries: ${librariesLine(frameworks)}. Redis variants: one local redis-server ${redisVersion()} (persistence off), default near cache (1 s TTL). Postgres variants: one throwaway PostgreSQL ${postgresVersion()} (initdb in a temporary folder, loopback, default settings), default near cache (1 s TTL), default pool (10).`,
    '',
    options.paired
      ? 'Figures: median over the pairs (min–max in brackets); the baseline row counts every twin in every pair. Ratios and differences are taken pair by pair against the twin loaded at the same time, then the median; req/s above 100 % is faster than the baseline, p99 above 100 % is slower. The user CPU column is the user part of the same CPU time: the JavaScript and what it runs in process, without the socket work in the kernel (whose cost per `writev` on a VM moves with when the other side must be woken, so it differs between variants that run the same code). Targets (issue #15), for the two policy variants with a target: median req/s ratio, p99 ratio ≤ 110 %, CPU (user + system) per request ≤ 3 µs over the baseline.'
      : 'Figures: median over the rounds (min–max in brackets). Ratios and differences are taken round by round against the baseline measured in the same round, then the median; req/s above 100 % is faster than the baseline, p99 above 100 % is slower. p99 from every response time (µs resolution). The user CPU column is the user part of the same CPU time: the JavaScript and what it runs in process, without the socket work in the kernel (whose cost per `writev` on a VM moves with when the other side must be woken, so it differs between variants that run the same code). Targets (issue #15), for the two policy variants with a target: median req/s ratio, p99 ratio ≤ 110 %, CPU (user + system) per request ≤ 3 µs over the baseline.',
    '',
    renderTable(summaries),
    ...(settings.control
      ? ['', `The A/A control row is a second server exactly like the baseline, ${options.paired ? 'paired with it the same way' : 'measured in the same rounds'}: its spread is what this run can resolve; a target within it is not judged by the run.`]
      : []),
    '',
    renderVerdicts(summaries),
  ].join('\n');
  return { measurements, summaries, section: `${section.trimEnd()}\n` };
}

/**
 * The HTTP benchmark as part of `npm run bench`: the full run writes its block into
 * `RESULTS.md`; the quick one only prints.
 *
 * @param options - `quick`: check that the harness works, in about 20 s.
 */
export async function run({ quick }: { quick: boolean }): Promise<string> {
  const { section } = await benchHttp({ quick, log: (line) => process.stderr.write(`${line}\n`) });
  if (!quick) await writeResultsBlock(fileURLToPath(new URL('../RESULTS.md', import.meta.url)), section);
  return section;
}

const require = createRequire(import.meta.url);
function version(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return '?';
  }
}

let redisVersionCache: string | undefined;
function redisVersion(): string {
  if (redisVersionCache === undefined) {
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const out = spawnSync(process.env.REDIS_SERVER ?? 'redis-server', ['--version'], { encoding: 'utf8' });
    redisVersionCache = /v=(\S+)/.exec(out.stdout ?? '')?.[1] ?? '?';
  }
  return redisVersionCache;
}

let postgresVersionCache: string | undefined;
function postgresVersion(): string {
  if (postgresVersionCache === undefined) {
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    let bin: string;
    try {
      bin = `${postgresBin()}/postgres`;
    } catch {
      return (postgresVersionCache = '?');
    }
    const out = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    postgresVersionCache = /(\d+(?:\.\d+)+)/.exec(out.stdout ?? '')?.[1] ?? '?';
  }
  return postgresVersionCache;
}

function environment(): string {
  const cpu = cpus();
  const libs = ['express', 'express-session', 'koa', 'koa-session', '@hapi/hapi', '@hapi/cookie', 'fastify', '@fastify/session'].map((n) => `${n} ${version(n)}`).join(', ');
  return `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim() ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GB; ${libs}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      frameworks: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      'no-pin': { type: 'boolean', default: false },
      control: { type: 'boolean', default: false },
      paired: { type: 'boolean', default: false },
      'no-heap': { type: 'boolean', default: false },
      profile: { type: 'string' },
    },
  });
  if (values.profile !== undefined) {
    process.stdout.write(await profileVariants(values.profile.split(','), Number(values.duration ?? 5), !values['no-heap']));
    process.exit(0);
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const frameworks = values.frameworks?.split(',') as Framework[] | undefined;
  for (const f of frameworks ?? []) if (!FRAMEWORKS.includes(f)) throw new Error(`unknown framework ${f} (${FRAMEWORKS.join(', ')})`);
  const overrides = Object.fromEntries(
    Object.entries({ rounds: num(values.rounds), duration: num(values.duration), warmup: num(values.warmup), connections: num(values.connections), frameworks }).filter(
      ([, v]) => v !== undefined,
    ),
  ) as Partial<HarnessOptions>;
  const custom = Object.keys(overrides).length > 0 || values['no-pin'] || values.control;
  // A paired run always has its A/A row: the pairs' noise floor is part of its reading.
  const control = values.control || values.paired;
  const { section } = await benchHttp({ quick: values.quick, variants: VARIANTS, ...overrides, pin: !values['no-pin'], control, paired: values.paired, log: (line) => process.stderr.write(`${line}\n`) });
  // Only the standard full runs go into RESULTS.md: a custom one would not match its command line.
  if (!values.quick && !custom && !values['no-write']) await writeResultsBlock(fileURLToPath(new URL('../RESULTS.md', import.meta.url)), section, values.paired);
  process.stdout.write(section);
}
