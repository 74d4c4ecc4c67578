import { startPostgresServer, type PostgresServer } from '@session-policy/test-helpers/postgres-server';
import { startRedisServer, type RedisServer } from '@session-policy/test-helpers/redis-server';
import { pinLoadGenerator } from './cpu-pinning.js';
import { load, type LoadResult } from './load.js';
import { startServerChild, type ServerChild } from './server-child.js';
import { BASELINE, CONTROL, FRAMEWORKS, VARIANTS, usesPostgres, usesRedis, type Framework, type Variant } from './variants.js';

/** How long and how often to measure. */
export interface HarnessOptions {
  readonly frameworks?: readonly Framework[];
  readonly variants?: readonly Variant[];
  /** Interleaved rounds; each measures every variant once. */
  readonly rounds: number;
  /** Seconds of load per variant per round. */
  readonly duration: number;
  /** A number of requests per variant per round instead of {@link duration} (the quick mode). */
  readonly amount?: number;
  /** Seconds of unmeasured load per server before the first round (JIT, caches). */
  readonly warmup: number;
  /** Concurrent connections. Default 10. */
  readonly connections?: number;
  /** Also measure the A/A control ({@link CONTROL}): a second baseline server. Default false. */
  readonly control?: boolean;
  /**
   * Paired rounds: every variant is loaded at the same time as a baseline server of its own
   * (its twin: started, warmed up and loaded only with it; two load runs at once, both
   * servers on the same core), so each ratio compares two servers with the same history
   * under the very same conditions — the machine's slow patches fall on both. Default
   * false: one variant at a time.
   */
  readonly paired?: boolean;
  /** Pin the server children to one core and this process (load generator, redis-server) to another, where `taskset` and two cores allow. Default true. */
  readonly pin?: boolean;
  /** Progress lines go here. Default: nowhere. */
  readonly log?: (line: string) => void;
}

/** What {@link measureAll} measured, and how the processes were placed. */
export interface MeasureAllResult {
  readonly measurements: Measurement[];
  /** For the report: the CPU pinning (see `cpu-pinning.ts`). */
  readonly pinning: string;
}

/** One variant measured in one round. */
export interface Measurement extends LoadResult {
  readonly framework: Framework;
  readonly variant: Variant;
  /** 0-based round. */
  readonly round: number;
  /** Its place in the round's order (0-based). */
  readonly slot: number;
  /** The server process's own CPU time (user + system) over the run, per request it received, in µs. */
  readonly cpuPerRequestUs: number;
  /** The user part of {@link cpuPerRequestUs}, µs (no kernel socket work). */
  readonly userCpuPerRequestUs: number;
}

/**
 * Measures every framework × variant: per framework, one server child per variant (all
 * started, logged in and warmed up first), then `rounds` rounds that each load every
 * variant once, in an order rotated by one each round — so every variant takes every
 * place in a round over as many rounds as there are variants, and slow patches of a
 * shared machine fall on all variants alike. The Redis variants share one redis-server
 * (persistence off) started here, with a key prefix per child; the Postgres variants one
 * throwaway PostgreSQL started here (initdb in a temporary folder), tables per child.
 * Where the machine allows, the server children run on a core of their own and the load
 * generator (this process), redis-server and PostgreSQL on another; each run's CPU per
 * request is the server process's own CPU time over its own request count, in a window
 * opened (after a full GC) right before the load and closed right after it.
 *
 * @param options - see {@link HarnessOptions}.
 */
export async function measureAll(options: HarnessOptions): Promise<MeasureAllResult> {
  const frameworks = options.frameworks ?? FRAMEWORKS;
  const variants = [...(options.variants ?? VARIANTS), ...(options.control ? [CONTROL] : [])];
  const log = options.log ?? (() => {});
  const measurements: Measurement[] = [];
  let redis: RedisServer | undefined;
  let postgres: PostgresServer | undefined;
  // Before redis-server starts: it inherits this process's core.
  const pinning = pinLoadGenerator(options.pin ?? true);
  try {
    if (variants.some(usesRedis)) redis = await startRedisServer();
    if (variants.some(usesPostgres)) postgres = await startPostgresServer();
    for (const framework of frameworks) {
      // Server children by name: a variant's name, and in paired runs `twin:<variant>` for
      // the baseline server paired with that variant alone (each pair's two servers then
      // have the same history: started together, loaded together, equally often).
      const others = variants.filter((v) => v !== BASELINE);
      const servers: Array<{ name: string; variant: Variant }> = options.paired
        ? others.flatMap((variant) => [{ name: variant, variant }, { name: `twin:${variant}`, variant: BASELINE }])
        : variants.map((variant) => ({ name: variant, variant }));
      const children = new Map<string, ServerChild>();
      try {
        const started = await Promise.allSettled(
          servers.map(({ name, variant }) =>
            startServerChild({ framework, variant, redisUrl: redis?.url, postgresUrl: postgres?.url, prefix: `bench:${framework}:${name}:` }, { cpu: pinning.server }),
          ),
        );
        for (const [i, outcome] of started.entries()) if (outcome.status === 'fulfilled') children.set(servers[i]!.name, outcome.value);
        const failed = started.find((outcome) => outcome.status === 'rejected');
        if (failed) throw failed.reason;
        if (options.warmup > 0) {
          for (const child of children.values()) await load({ url: child.url, headers: child.headers, duration: options.warmup, connections: options.connections });
        }
        const measure = async (group: ReadonlyArray<{ name: string; variant: Variant }>, round: number, slot: number): Promise<void> => {
          const members = group.map(({ name, variant }) => ({ variant, child: children.get(name)! }));
          for (const { child } of members) await child.windowStart();
          const results = await Promise.all(
            members.map(({ child }) => load({ url: child.url, headers: child.headers, duration: options.duration, amount: options.amount, connections: options.connections })),
          );
          for (const [i, { variant, child }] of members.entries()) {
            const server = await child.windowEnd();
            const result = results[i]!;
            const cpuPerRequestUs = server.cpuUs / server.requests;
            const userCpuPerRequestUs = server.userUs / server.requests;
            measurements.push({ framework, variant, round, slot, cpuPerRequestUs, userCpuPerRequestUs, ...result });
            log(
              `  http: ${framework} round ${round + 1} ${variant}${group.length > 1 ? ` (with ${group.filter((m) => m.variant !== variant).map((m) => m.variant).join(', ')})` : ''}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99ms.toFixed(2)} ms, ${cpuPerRequestUs.toFixed(0)} µs CPU/req`,
            );
          }
        };
        if (options.paired) {
          // Each pair gets a round number of its own: the report then takes every ratio
          // against the baseline loaded at the same time (that variant's twin).
          for (let round = 0; round < options.rounds; round++) {
            const order = others.map((_, i) => others[(i + round) % others.length]!);
            for (const [slot, variant] of order.entries()) {
              await measure([{ name: `twin:${variant}`, variant: BASELINE }, { name: variant, variant }], round * others.length + slot, slot);
            }
          }
        } else {
          for (let round = 0; round < options.rounds; round++) {
            const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
            for (const [slot, variant] of order.entries()) await measure([{ name: variant, variant }], round, slot);
          }
        }
      } finally {
        await Promise.all([...children.values()].map((child) => child.stop()));
      }
    }
  } finally {
    await redis?.stop();
    await postgres?.destroy();
    pinning.restore();
  }
  return { measurements, pinning: pinning.description };
}
