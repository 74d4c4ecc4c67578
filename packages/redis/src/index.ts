/**
 * The Redis store for session-policy: atomic admission in Lua across processes, a
 * revocation bus on Redis pub/sub, a near cache, Redis Cluster support.
 *
 * @packageDocumentation
 */
export { RedisSessionStore, type RedisSource } from './redis-session-store.js';
export { DataLostError } from './data-marker.js';
export type { RedisSessionStoreOptions, NearCacheOptions } from './options.js';
export type { PrincipalKeys } from './key-layout.js';
export { BUCKETS } from './key-layout.js';
export { SCRIPTS, type Script } from './scripts.js';
export type { AnyRedisClient, AnyRedisCluster } from './connection.js';
