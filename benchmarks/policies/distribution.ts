import { parseDuration, type Duration } from './duration.js';
import type { Random } from './prng.js';
import { WorkloadError } from './workload-error.js';

/**
 * A random duration as written in workload files:
 *
 * - a plain {@link Duration} (`"15m"`): always that;
 * - `{ "exp": "90m" }`: exponential with that mean (memoryless arrivals: "some time later");
 * - `{ "uniform": ["5m", "20m"] }`: uniform between the two;
 * - `{ "lognormal": { "median": "20m", "sigma": 0.8 } }`: log-normal, the usual shape of
 *   visit lengths (mostly short, a long tail).
 */
export type Distribution =
  | Duration
  | { readonly exp: Duration }
  | { readonly uniform: readonly [Duration, Duration] }
  | { readonly lognormal: { readonly median: Duration; readonly sigma: number } };

/** A parsed {@link Distribution}: draws milliseconds from a random source. */
export type Sampler = (random: Random) => number;

/**
 * Parses a {@link Distribution} into a sampler.
 *
 * @param value - the distribution as written.
 * @param where - the field, for error messages.
 */
export function parseDistribution(value: unknown, where: string): Sampler {
  if (typeof value === 'number' || typeof value === 'string') {
    const ms = parseDuration(value, where);
    return () => ms;
  }
  if (value === null || typeof value !== 'object') throw new WorkloadError(where, 'must be a duration or a distribution');
  const v = value as Record<string, unknown>;
  if ('exp' in v) {
    const mean = parseDuration(v.exp, `${where}.exp`);
    // 1 - random() is in (0, 1], so the log is finite.
    return (random) => -mean * Math.log(1 - random());
  }
  if ('uniform' in v) {
    const range = v.uniform;
    if (!Array.isArray(range) || range.length !== 2) throw new WorkloadError(`${where}.uniform`, 'must be [min, max]');
    const lo = parseDuration(range[0], `${where}.uniform[0]`);
    const hi = parseDuration(range[1], `${where}.uniform[1]`);
    if (hi < lo) throw new WorkloadError(`${where}.uniform`, 'must have min ≤ max');
    return (random) => lo + (hi - lo) * random();
  }
  if ('lognormal' in v) {
    const p = v.lognormal as Record<string, unknown> | null;
    if (p === null || typeof p !== 'object') throw new WorkloadError(`${where}.lognormal`, 'must be { median, sigma }');
    const median = parseDuration(p.median, `${where}.lognormal.median`);
    const sigma = p.sigma;
    if (typeof sigma !== 'number' || !(sigma >= 0) || !Number.isFinite(sigma)) {
      throw new WorkloadError(`${where}.lognormal.sigma`, 'must be a finite number ≥ 0');
    }
    return (random) => median * Math.exp(sigma * gaussian(random));
  }
  throw new WorkloadError(where, 'must be a duration, { exp }, { uniform } or { lognormal }');
}

/** A standard normal draw (Box–Muller; uses two uniform draws, discards the twin). */
function gaussian(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
