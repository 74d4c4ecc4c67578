import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Where the benchmark's processes run: on a machine with two or more cores and util-linux's
 * `taskset`, the server under test gets a core of its own (`server`) and everything else —
 * this process with the load generator, and the redis-server it starts — another
 * (`load`), so that the server never waits for the load generator's time slice and the
 * two never trade caches. Without `taskset` (or with one core) nothing is pinned.
 */
export interface CpuPinning {
  /** The core of the servers under test, or `undefined` when nothing is pinned. */
  readonly server: number | undefined;
  /** The core of the load generator (and redis-server), or `undefined`. */
  readonly load: number | undefined;
  /** For the report: what was pinned where. */
  readonly description: string;
  /** Gives this process its affinity back. */
  restore(): void;
}

const hasTaskset = (): boolean => spawnSync('taskset', ['--version'], { encoding: 'utf8' }).status === 0;

/**
 * Pins this process (all its threads; children it spawns later inherit it) to core 0 and
 * returns the core for the server children (1), when the machine allows.
 *
 * @param enabled - `false` pins nothing (`--no-pin`).
 */
export function pinLoadGenerator(enabled = true): CpuPinning {
  const none = (why: string): CpuPinning => ({ server: undefined, load: undefined, description: `not pinned (${why})`, restore: () => {} });
  if (!enabled) return none('--no-pin');
  if (availableParallelism() < 2) return none('one core');
  if (!hasTaskset()) return none('no taskset');
  const mask = /:\s*([0-9a-f]+)\s*$/i.exec(spawnSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' }).stdout ?? '')?.[1];
  // Cores 0 and 1 must both be allowed (a run already confined by its caller is left alone).
  if (mask === undefined || (Number.parseInt(mask.slice(-1), 16) & 3) !== 3) return none(`cores 0 and 1 not both allowed (mask ${mask ?? '?'})`);
  const pinned = spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { encoding: 'utf8' });
  if (pinned.status !== 0) return none(`taskset failed: ${pinned.stderr.trim()}`);
  return {
    server: 1,
    load: 0,
    description: 'server process pinned to core 1, load generator and redis-server to core 0 (`taskset`)',
    restore: () => {
      if (mask !== undefined) spawnSync('taskset', ['-a', '-p', mask, String(process.pid)]);
    },
  };
}
