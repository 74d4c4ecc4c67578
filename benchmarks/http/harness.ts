import { startPostgresServer, type PostgresServer } from '@session-policy/test-helpers/postgres-server';
import { startRedisServer, type RedisServer } from '@session-policy/test-helpers/redis-server';
import { load, type LoadResult } from './load.js';
import { startServerChild, type ServerChild } from './server-child.js';
import { FRAMEWORKS, VARIANTS, usesPostgres, usesRedis, type Framework, type Variant } from './variants.js';

/** How long and how often to measure. */
export interface HarnessOptions {
  readonly frameworks?: readonly Framework[];
  readonly variants?: readonly Variant[];
  /** Interleaved rounds; each measures every variant once. */
  readonly rounds: number;
  /** Seconds of load per variant per round. */
  readonly duration: number;
  /** Seconds of unmeasured load per server before the first round (JIT, caches). */
  readonly warmup: number;
  /** Concurrent connections. Default 10. */
  readonly connections?: number;
  /** Progress lines go here. Default: nowhere. */
  readonly log?: (line: string) => void;
}

/** One variant measured in one round. */
export interface Measurement extends LoadResult {
  readonly framework: Framework;
  readonly variant: Variant;
  /** 0-based round. */
  readonly round: number;
  /** Its place in the round's order (0-based). */
  readonly slot: number;
  /** The server process's CPU time (user + system) per response during the run, in µs. */
  readonly cpuPerRequestUs: number;
}

/**
 * Measures every framework × variant: per framework, one server child per variant (all
 * started, logged in and warmed up first), then `rounds` rounds that each load every
 * variant once, in an order rotated by one each round — so every variant takes every
 * place in a round over as many rounds as there are variants, and slow patches of a
 * shared machine fall on all variants alike. The Redis variants share one redis-server
 * (persistence off) started here, with a key prefix per child; the Postgres variants one
 * throwaway PostgreSQL started here (initdb in a temporary folder), tables per child.
 *
 * @param options - see {@link HarnessOptions}.
 */
export async function measureAll(options: HarnessOptions): Promise<Measurement[]> {
  const frameworks = options.frameworks ?? FRAMEWORKS;
  const variants = options.variants ?? VARIANTS;
  const log = options.log ?? (() => {});
  const measurements: Measurement[] = [];
  let redis: RedisServer | undefined;
  let postgres: PostgresServer | undefined;
  try {
    if (variants.some(usesRedis)) redis = await startRedisServer();
    if (variants.some(usesPostgres)) postgres = await startPostgresServer();
    for (const framework of frameworks) {
      const children = new Map<Variant, ServerChild>();
      try {
        const started = await Promise.allSettled(
          variants.map((variant) => startServerChild({ framework, variant, redisUrl: redis?.url, postgresUrl: postgres?.url, prefix: `bench:${framework}:${variant}:` })),
        );
        for (const [i, outcome] of started.entries()) if (outcome.status === 'fulfilled') children.set(variants[i]!, outcome.value);
        const failed = started.find((outcome) => outcome.status === 'rejected');
        if (failed) throw failed.reason;
        if (options.warmup > 0) {
          for (const child of children.values()) await load({ url: child.url, headers: child.headers, duration: options.warmup, connections: options.connections });
        }
        for (let round = 0; round < options.rounds; round++) {
          const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
          for (const [slot, variant] of order.entries()) {
            const child = children.get(variant)!;
            const cpuBefore = await child.cpuMicros();
            const result = await load({ url: child.url, headers: child.headers, duration: options.duration, connections: options.connections });
            const cpuPerRequestUs = (await child.cpuMicros() - cpuBefore) / result.responses;
            measurements.push({ framework, variant, round, slot, cpuPerRequestUs, ...result });
            log(
              `  http: ${framework} round ${round + 1}/${options.rounds} ${variant}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99ms.toFixed(2)} ms, ${cpuPerRequestUs.toFixed(0)} µs CPU/req`,
            );
          }
        }
      } finally {
        await Promise.all([...children.values()].map((child) => child.stop()));
      }
    }
  } finally {
    await redis?.stop();
    await postgres?.destroy();
  }
  return measurements;
}
