// Starts a redis-server, a Redis Cluster and a PostgreSQL, reports their ports and pids,
// then exits at once without stopping any of them: what a test file or benchmark that
// crashes leaves behind, unless the helpers reap their servers when the process exits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@keyv/redis';
import pg from 'pg';
import { startPostgresServer } from '@session-policy/test-helpers/postgres-server';
import { startRedisCluster } from '@session-policy/test-helpers/redis-cluster';
import { startRedisServer } from '@session-policy/test-helpers/redis-server';

const redis = await startRedisServer();
const cluster = await startRedisCluster();
const postgres = await startPostgresServer();
// The pids, so that the test can kill what the reaper missed.
const client = createClient({ url: redis.url });
await client.connect();
const redisPid = Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
client.destroy();
const db = new pg.Client({ connectionString: postgres.url });
await db.connect();
const { rows } = await db.query<{ setting: string }>("SELECT setting FROM pg_settings WHERE name = 'data_directory'");
await db.end();
const postmasterPid = Number(readFileSync(join(rows[0]!.setting, 'postmaster.pid'), 'utf8').split('\n')[0]);
// No stop, no dispose: exit as soon as the ports are sent.
process.send?.(
  { ports: [redis.port, ...cluster.nodes.map((n) => n.port), postgres.port], pids: [redisPid, ...cluster.nodes.map((n) => n.pid), postmasterPid] },
  () => process.exit(0),
);
