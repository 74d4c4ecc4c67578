import { InvalidOptionError } from '../errors.js';
import type { EvictionPolicy } from '../eviction-policy.js';
import { rejectUnknownOptions } from '../unknown-options.js';
import { byLastSeen } from './order.js';

/** Options of {@link idleFirst}. @public */
export interface IdleFirstOptions {
  /** A session counts as idle once not seen for this many milliseconds. Default 5 minutes. */
  readonly idleFor?: number;
}

/**
 * Evicts only sessions that are idle (not seen for `idleFor`), least recently seen first;
 * when every other session is in use, the new login is refused instead. It keeps an
 * attacker who knows the password from kicking out a user who is active right now, at
 * the price of refusing logins while all slots are busy.
 *
 * @param options - see {@link IdleFirstOptions}.
 * @public
 */
export function idleFirst(options: IdleFirstOptions = {}): EvictionPolicy {
  rejectUnknownOptions(options, Object.keys({ idleFor: true } satisfies Record<keyof IdleFirstOptions, true>), 'idleFirst()');
  const idleFor = options.idleFor ?? 5 * 60_000;
  if (!(typeof idleFor === 'number' && idleFor >= 0 && Number.isFinite(idleFor))) {
    throw new InvalidOptionError('idleFor', 'must be a finite number of milliseconds, 0 or more');
  }
  return {
    name: 'idle-first',
    // R10: with idleFor 0 every live session is eligible, even one last seen by a clock ahead of ours.
    rank: ({ active, now }) => (idleFor === 0 ? [...active] : active.filter((s) => now - s.lastSeenAt >= idleFor)).sort(byLastSeen),
    descriptor: { order: 'last-seen', replaceSameDevice: false, minIdle: idleFor },
  };
}
