import type { EvictionPolicy } from '../eviction-policy.js';
import { byCreated } from './order.js';

/**
 * Evicts the sessions created first, however active they are.
 *
 * @public
 */
export function oldestCreated(): EvictionPolicy {
  return {
    name: 'oldest-created',
    rank: ({ active }) => [...active].sort(byCreated),
    descriptor: { order: 'created', replaceSameDevice: false, minIdle: 0 },
  };
}
