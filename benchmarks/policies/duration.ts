import { WorkloadError } from './workload-error.js';

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration as written in workload files: milliseconds as a number, or a string such
 * as `"90s"`, `"15m"`, `"2h"`, `"1.5d"`. `"none"` (or `Infinity`) means no limit where
 * the field allows it.
 */
export type Duration = number | string;

/**
 * Parses a {@link Duration} into milliseconds.
 *
 * @param value - the duration.
 * @param where - the field, for the error message.
 * @param allowNone - whether `"none"`/`Infinity` is accepted.
 */
export function parseDuration(value: unknown, where: string, allowNone = false): number {
  if (allowNone && (value === 'none' || value === Infinity)) return Infinity;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value === 'string') {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value.trim());
    if (match) return Number(match[1]) * UNITS[match[2]!]!;
  }
  throw new WorkloadError(where, `must be a duration such as 30s, 15m, 2h, 1d${allowNone ? ' or "none"' : ''}, got ${JSON.stringify(value)}`);
}

/**
 * Formats milliseconds the way workloads write them (`15m`, `2h`, `none`).
 *
 * @param ms - milliseconds, or `Infinity`.
 */
export function formatDuration(ms: number): string {
  if (ms === Infinity) return 'none';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNITS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
