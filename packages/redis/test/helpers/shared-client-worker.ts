/**
 * A child process that owns one Redis client (single node or cluster), builds and closes
 * 20 stores over it, destroys the client and then simply returns. It must exit by
 * itself: one second after the client is destroyed, an unref'd timer (which fires only
 * if something else keeps the process alive) reports what is still alive and exits with
 * code 3. Arguments: `single <url>` or `cluster <root url>…`.
 */
import { createClient, createCluster } from '@keyv/redis';
import { cycleStores } from './shared-client.js';

const [mode, ...urls] = process.argv.slice(2) as ['single' | 'cluster', ...string[]];
const client =
  mode === 'cluster' ? createCluster({ rootNodes: urls.map((url) => ({ url })) }) : createClient({ url: urls[0] });
client.on('error', () => undefined);
await client.connect();
const report = await cycleStores(client as never, 20);
if (!report.allLive) throw new Error('not every bus got live');
client.destroy();
process.send?.('closed');
setTimeout(() => {
  process.send?.({ alive: process.getActiveResourcesInfo() });
  process.exit(3);
}, 1000).unref();
