import type { RunMetrics } from './simulator.js';

/** How a metric is shown in tables and charts. */
export interface MetricSpec {
  /** The field of {@link RunMetrics}. */
  readonly key: Exclude<keyof RunMetrics, 'counts'>;
  /** Column header. */
  readonly column: string;
  /** Chart title. */
  readonly title: string;
  /** What it counts, exactly. */
  readonly definition: string;
  /** Whether it applies only to workloads with an attacker. */
  readonly attackerOnly: boolean;
}

/** The workbench's metrics, in table order. Lower is better for every one of them. */
export const METRICS: readonly MetricSpec[] = [
  {
    key: 'refusedPerDay',
    column: 'refused /day',
    title: 'Legitimate logins refused (per account per day)',
    definition: 'logins by legitimate actors refused with ERR_SESSION_LIMIT (retries included), per account per day',
    attackerOnly: false,
  },
  {
    key: 'kickedPerDay',
    column: 'kicked /day',
    title: 'Sessions in use kicked out (per account per day)',
    definition:
      'legitimate sessions evicted or replaced while their owner still held the cookie and had used them within the workload’s active window (5 min; 1 min for login-storm), per account per day',
    attackerOnly: false,
  },
  {
    key: 'zombieHoursPerDay',
    column: 'zombie slot-h /day',
    title: 'Zombie slot-time (slot-hours per account per day)',
    definition: 'time sessions stayed active after their owner dropped the cookie without logging out, until evicted or expired, in hours per account per day',
    attackerOnly: false,
  },
  {
    key: 'evictionsPerHour',
    column: 'evictions /h',
    title: 'Evictions (per account per hour)',
    definition: 'sessions ended with reason evicted or replaced, per account per hour',
    attackerOnly: false,
  },
  {
    key: 'lockedOutPct',
    column: 'locked out %',
    title: 'Legitimate visit time locked out (%)',
    definition: 'share of legitimate actors’ visit time spent refused, from a refused login until admitted or the visit ended',
    attackerOnly: false,
  },
  {
    key: 'attackerDwellPct',
    column: 'attacker dwell %',
    title: 'Attacker dwell time (% of the attack window)',
    definition: 'share of the time from the attacker’s arrival to the end during which an attacker held a live session',
    attackerOnly: true,
  },
];

/**
 * Formats a metric value for a table: two decimals below 10, one below 100, none above;
 * `–` where the metric does not apply.
 *
 * @param value - the value.
 */
export function formatValue(value: number | undefined): string {
  if (value === undefined) return '–';
  if (value === 0) return '0';
  if (value < 0.01) return '<0.01';
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return value.toFixed(0);
}
