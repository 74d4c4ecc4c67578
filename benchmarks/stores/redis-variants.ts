// The Redis-backed variants, present once the Redis store package exists.
import type { Variant } from './run.js';

/** The Redis variants to measure (none yet). */
export async function redisVariants(): Promise<Variant[]> {
  return [];
}
