/**
 * The PostgreSQL store for session-policy: one transaction per operation under a
 * per-principal advisory lock (atomic across processes), a revocation bus on
 * `LISTEN`/`NOTIFY`, a near cache, and a sweeper that keeps the tables bounded.
 *
 * @packageDocumentation
 */
export { PostgresSessionStore, type PostgresSource } from './postgres-session-store.js';
export type { PostgresSessionStoreOptions, PostgresNearCacheOptions, PostgresSweeperOptions } from './options.js';
export { migrate } from './migrate.js';
export { SCHEMA_VERSION, TableNames } from './schema.js';
export type { PurgeRequest, PurgeOutcome } from './sweeper.js';
