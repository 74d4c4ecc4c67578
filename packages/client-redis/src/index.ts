/**
 * A Redis coordinator for `@session-policy/client`: keepers and pools in several
 * processes sharing one Redis make one upstream login per principal among all of them,
 * one re-login per expiry, one cooldown per refusal, and hold a pool's cap across all of
 * them; session material is stored sealed with AES-256-GCM under a key the app gives.
 *
 * @packageDocumentation
 */
export { RedisCoordinator, type RedisCoordinatorOptions, type AnyRedisClient } from './redis-coordinator.js';
