// Starts a redis-server, a Redis Cluster and a PostgreSQL, reports their ports, then
// exits at once without stopping any of them: what a test file or benchmark that crashes
// leaves behind, unless the helpers reap their servers when the process exits.
import { startPostgresServer } from '@session-policy/test-helpers/postgres-server';
import { startRedisCluster } from '@session-policy/test-helpers/redis-cluster';
import { startRedisServer } from '@session-policy/test-helpers/redis-server';

const redis = await startRedisServer();
const cluster = await startRedisCluster();
const postgres = await startPostgresServer();
// No stop, no dispose: exit as soon as the ports are sent.
process.send?.({ ports: [redis.port, ...cluster.nodes.map((n) => n.port), postgres.port] }, () => process.exit(0));
