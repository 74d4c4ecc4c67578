/**
 * A seeded pseudo-random number generator: returns floats in [0, 1). Same seed, same
 * sequence, on every machine and Node version, which is what makes the workbench
 * reproducible.
 */
export type Random = () => number;

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): tiny, fast and good enough to draw
 * workload timings. Not for cryptography.
 *
 * @param seed - any 32-bit integer.
 */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Derives an independent seed from a base seed and a path of labels: FNV-1a over the
 * labels, combined with the avalanche-mixed seed (murmur3's finalizer), so that seeds
 * differing in a few bits give unrelated streams rather than relabelled ones. Each
 * actor gets its own streams, so a policy that makes one actor retry more does not
 * shift the draws of every other actor.
 *
 * @param seed - the workload's seed.
 * @param labels - what the stream is for, e.g. `[principal, actor, 'visits']`.
 */
export function deriveSeed(seed: number, ...labels: Array<string | number>): number {
  let h = 0x811c9dc5;
  for (const label of labels) {
    for (const ch of `${String(label)}/`) {
      h ^= ch.charCodeAt(0);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return fmix32(h ^ fmix32(seed >>> 0));
}

function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
