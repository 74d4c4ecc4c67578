// HTTP overhead of session-policy (issue #5): GET /hello of a signed-in user on Express,
// Koa, hapi and Fastify — bare, with the session library only (the baseline), and with the
// session library plus session-policy (embedded store; Redis + near cache; Redis
// without; Postgres + near cache; Postgres without) — each server in its own process,
// driven by autocannon from this one, in interleaved rounds; medians of per-round ratios
// to the baseline, with their spread.
//
//   npm run bench:http                  # full: 5 rounds × 2 s per variant (~5–6 min), updates RESULTS.md
//   npm run bench:http -- --quick       # harness check: 1 round × 0.3 s (figures not meaningful)
//   npm run bench:http -- --rounds 7 --duration 3 --frameworks express --no-write
//   npm run bench:http -- --profile express/session,express/policy-embedded [--duration 5]
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
export const FULL = { rounds: 5, duration: 2, warmup: 1 } as const;
export const QUICK = { rounds: 1, duration: 0.3, warmup: 0 } as const;

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
  const measurements = await measureAll({ ...settings, frameworks });
  const seconds = (performance.now() - started) / 1000;
  const summaries = summarize(measurements);
  const connections = settings.connections ?? 10;
  const section = [
    `Command: \`npm run bench:http${options.quick ? ' -- --quick' : ''}\` (also part of \`npm run bench\`)${options.quick ? ' — quick: a harness check, the figures mean nothing' : ''}. ${environment()}; load average ${load.before.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after; ${seconds.toFixed(0)} s.`,
    '',
    `Setup: each variant's server in its own Node process on a loopback port, autocannon ${version('autocannon')} in the parent (${connections} connections, pipelining 1, keep-alive) on \`GET /hello\` (body \`hello\`); ${settings.rounds} interleaved round(s) of ${settings.duration} s per variant (order rotated each round) after ${settings.warmup} s of warm-up per server. Session variants log in once (\`POST /login\`, admitted by the policy where there is one: at most 2 sessions, defaults otherwise) and send that cookie on every request; the route answers 401 without a signed-in user and any non-200 voids the run. Session libraries: ${librariesLine(frameworks)}. Redis variants: one local redis-server ${redisVersion()} (persistence off), default near cache (1 s TTL). Postgres variants: one throwaway PostgreSQL ${postgresVersion()} (initdb in a temporary folder, loopback, default settings), default near cache (1 s TTL), default pool (10).`,
    '',
    'Figures: median over the rounds (min–max in brackets). Ratios are taken round by round against the baseline measured in the same round, then the median; req/s above 100 % is faster than the baseline, p99 above 100 % is slower. p99 from every response time (µs resolution).',
    '',
    renderTable(summaries),
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
      profile: { type: 'string' },
    },
  });
  if (values.profile !== undefined) {
    process.stdout.write(await profileVariants(values.profile.split(','), Number(values.duration ?? 5)));
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
  const custom = Object.keys(overrides).length > 0;
  const { section } = await benchHttp({ quick: values.quick, variants: VARIANTS, ...overrides, log: (line) => process.stderr.write(`${line}\n`) });
  // Only the standard full run goes into RESULTS.md: a custom one would not match its command line.
  if (!values.quick && !custom && !values['no-write']) await writeResultsBlock(fileURLToPath(new URL('../RESULTS.md', import.meta.url)), section);
  process.stdout.write(section);
}
