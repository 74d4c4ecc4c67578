import { idleFirst, leastRecentlySeen, oldestCreated, sameDeviceFirst, type SessionRegistryOptions } from '@session-policy/core';
import { WorkloadError } from './workload-error.js';

/**
 * A configuration under test: an eviction policy and what to do over the limit, built
 * from the core's own exports exactly as an application would configure them.
 */
export interface Contender {
  /** The name shown in tables and charts. */
  readonly name: string;
  /** One line: the rule. */
  readonly rule: string;
  /** Fresh registry options (policies are plain objects; each run gets its own). */
  options(): Pick<SessionRegistryOptions, 'policy' | 'onLimit'>;
}

/** Every built-in policy, plus reject mode; the default set scored by the workbench. */
export const CONTENDERS: readonly Contender[] = [
  {
    name: 'least-recently-seen',
    rule: 'evict the session seen least recently (the default)',
    options: () => ({ policy: leastRecentlySeen(), onLimit: 'evict' }),
  },
  {
    name: 'oldest-created',
    rule: 'evict the session created first',
    options: () => ({ policy: oldestCreated(), onLimit: 'evict' }),
  },
  {
    name: 'same-device-first',
    rule: 'a login replaces its own device’s sessions, then least recently seen',
    options: () => ({ policy: sameDeviceFirst(), onLimit: 'evict' }),
  },
  {
    name: 'idle-first',
    rule: 'evict only sessions idle ≥ 5 min, else refuse the login',
    options: () => ({ policy: idleFirst(), onLimit: 'evict' }),
  },
  {
    name: 'reject',
    rule: "onLimit: 'reject' — refuse the new login while the account is full",
    options: () => ({ policy: leastRecentlySeen(), onLimit: 'reject' }),
  },
];

/**
 * Finds contenders by name.
 *
 * @param names - contender names; all of them when empty.
 */
export function pickContenders(names: readonly string[]): Contender[] {
  if (names.length === 0) return [...CONTENDERS];
  return names.map((n) => {
    const found = CONTENDERS.find((c) => c.name === n);
    if (!found) throw new WorkloadError('--policies', `has unknown "${n}"; known: ${CONTENDERS.map((c) => c.name).join(', ')}`);
    return found;
  });
}
