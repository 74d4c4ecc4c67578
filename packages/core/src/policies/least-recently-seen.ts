import type { EvictionPolicy } from '../eviction-policy.js';
import { byLastSeen } from './order.js';

/**
 * Evicts the sessions seen least recently (Spring Security's rule for
 * `maximumSessions`). The default policy.
 *
 * @public
 */
export function leastRecentlySeen(): EvictionPolicy {
  return {
    name: 'least-recently-seen',
    rank: ({ active }) => [...active].sort(byLastSeen),
    descriptor: { order: 'last-seen', replaceSameDevice: false, minIdle: 0 },
  };
}
