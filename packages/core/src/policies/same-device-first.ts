import { InvalidOptionError } from '../errors.js';
import type { EvictionPolicy } from '../eviction-policy.js';
import { rejectUnknownOptions } from '../unknown-options.js';
import { byCreated, byLastSeen } from './order.js';

/** Options of {@link sameDeviceFirst}. @public */
export interface SameDeviceFirstOptions {
  /** How to choose among other devices when still over the limit. Default `'last-seen'`. */
  readonly then?: 'last-seen' | 'created';
}

/**
 * A login from a device that already has sessions replaces them (reason `replaced`, not
 * counted against the limit): a reconnect from the same browser never takes a second
 * slot. Over the limit, other devices are evicted least recently seen first (or oldest
 * created first). Sessions without a `deviceId` (or with `''`, which means none) are never replaced.
 *
 * @param options - see {@link SameDeviceFirstOptions}.
 * @public
 */
export function sameDeviceFirst(options: SameDeviceFirstOptions = {}): EvictionPolicy {
  rejectUnknownOptions(options, Object.keys({ then: true } satisfies Record<keyof SameDeviceFirstOptions, true>), 'sameDeviceFirst()');
  const order = options.then ?? 'last-seen';
  if (order !== 'last-seen' && order !== 'created') throw new InvalidOptionError('then', "must be 'last-seen' or 'created'");
  const compare = order === 'created' ? byCreated : byLastSeen;
  return {
    name: 'same-device-first',
    // R5, R15: '' is no device, like an absent deviceId: it never matches.
    replaces: ({ candidate, active }) =>
      candidate.deviceId === undefined || candidate.deviceId === '' ? [] : active.filter((s) => s.deviceId === candidate.deviceId),
    rank: ({ active }) => [...active].sort(compare),
    descriptor: { order, replaceSameDevice: true, minIdle: 0 },
  };
}
