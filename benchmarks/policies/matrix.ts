import { formatDuration } from './duration.js';
import type { Contender } from './contenders.js';
import { simulate, type RunMetrics } from './simulator.js';
import type { Workload } from './workload.js';

/** The idle timeouts scored by default: short, long, none. */
export const DEFAULT_IDLE_TIMEOUTS: readonly number[] = [15 * 60_000, 2 * 3_600_000, Infinity];

/** The idle timeouts of `--quick`. */
export const QUICK_IDLE_TIMEOUTS: readonly number[] = [15 * 60_000, Infinity];

/** What to run. */
export interface MatrixOptions {
  /** The workloads. */
  readonly workloads: readonly Workload[];
  /** The policies. */
  readonly contenders: readonly Contender[];
  /** Session limits; each workload's own `limits` when absent. */
  readonly limits?: readonly number[];
  /** Idle timeouts in milliseconds (`Infinity`: none). */
  readonly idleTimeouts: readonly number[];
  /** Called after each run (progress). */
  readonly onRow?: (row: MatrixRow) => void;
}

/** One scored cell. */
export interface MatrixRow {
  readonly workload: string;
  readonly policy: string;
  readonly limit: number;
  readonly idleTimeout: string;
  readonly metrics: RunMetrics;
}

/**
 * Runs every workload × limit × idle timeout × policy, one after another (runs are
 * independent and deterministic; sequential keeps the machine's other work unaffected).
 *
 * @param options - see {@link MatrixOptions}.
 */
export async function runMatrix(options: MatrixOptions): Promise<MatrixRow[]> {
  const rows: MatrixRow[] = [];
  for (const workload of options.workloads) {
    for (const limit of options.limits ?? workload.limits) {
      for (const idleTimeout of options.idleTimeouts) {
        for (const contender of options.contenders) {
          const metrics = await simulate(workload, { contender, limit, idleTimeout });
          const row = { workload: workload.name, policy: contender.name, limit, idleTimeout: formatDuration(idleTimeout), metrics };
          rows.push(row);
          options.onRow?.(row);
        }
      }
    }
  }
  return rows;
}

/**
 * The `--quick` variant of a workload: at most a day (after the last actor arrives), a fifth of the accounts and its
 * first limit only. Enough to check that the harness works, not to read figures from.
 *
 * @param workload - the full workload.
 */
export function quickVariant(workload: Workload): Workload {
  return {
    ...workload,
    duration: Math.min(workload.duration, 86_400_000 + Math.max(...workload.actors.map((a) => a.arrives))),
    principals: Math.max(1, Math.ceil(workload.principals / 5)),
    limits: workload.limits.slice(0, 1),
  };
}
