import { createCluster } from '@keyv/redis';
import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import { createHash } from 'node:crypto';
import { startRedisCluster } from '../helpers/redis-cluster.ts';
const c = await startRedisCluster({ replicas: 1, nodeTimeout: 1000 });
const cluster = createCluster({ rootNodes: c.rootNodes as any, defaults: { socket: { reconnectStrategy: (n: number) => Math.min(50 * 2 ** n, 500) } } });
cluster.on('error', (e) => console.log('cluster error', e.message));

await cluster.connect();
const kv = new Keyv({ store: new KeyvRedis(cluster as any), namespace: 'k' });
await kv.set('a', 1); await kv.set('b', 2);
console.log('keyv', await kv.get('a'), await kv.get('b'));
const src = "redis.call('SET', KEYS[1], ARGV[1]); redis.call('SET', KEYS[2], ARGV[1]); return redis.call('GET', KEYS[1])";
const sha = createHash('sha1').update(src).digest('hex');
try { await cluster.sendCommand('{t}a', false, ['EVALSHA', sha, '2', '{t}a', '{t}b', 'v']); } catch (e) { console.log('evalsha1', (e as Error).message); }
console.log('eval', await cluster.sendCommand('{t}a', false, ['EVAL', src, '2', '{t}a', '{t}b', 'v']));
console.log('evalsha2', await cluster.sendCommand('{t}a', false, ['EVALSHA', sha, '2', '{t}a', '{t}b', 'v2']));
for (const m of await c.masters()) console.log('exists on', m.port, await c.command(m.port, 'SCRIPT', 'EXISTS', sha));
try { await cluster.sendCommand('{t}a', false, ['EVAL', src, '2', '{t}a', '{u}b', 'v']); } catch (e) { console.log('crossslot', (e as Error).message); }
// script publishing
try { console.log('spublish in script', await cluster.sendCommand('{t}a', false, ['EVAL', "return redis.call('SPUBLISH', ARGV[1], 'x')", '1', '{t}a', '{t}chan'])); } catch (e) { console.log('spublish script', (e as Error).message); }
try { console.log('spublish other slot in script', await cluster.sendCommand('{t}a', false, ['EVAL', "return redis.call('SPUBLISH', ARGV[1], 'x')", '1', '{t}a', '{zz}chan'])); } catch (e) { console.log('spublish other-slot script', (e as Error).message); }
// sharded subscribe
const sub = cluster.duplicate(); sub.on('error', () => {}); await sub.connect();
const got: string[] = [];
await sub.sSubscribe('{t}chan', (m) => got.push('s:' + m));
await sub.subscribe('classic', (m) => got.push('c:' + m));
await cluster.sendCommand('{t}chan', false, ['SPUBLISH', '{t}chan', 'hello']);
await cluster.sendCommand('{t}a', false, ['EVAL', "return redis.call('SPUBLISH', ARGV[1], 'fromscript')", '1', '{t}a', '{t}chan']);
await cluster.sendCommand('{t}a', false, ['EVAL', "return redis.call('PUBLISH', ARGV[1], 'fromscript')", '1', '{t}a', 'classic']);
await new Promise((r) => setTimeout(r, 300));
console.log('got', got);
// failover
const owner = await c.keyOwner('{t}a');
console.log('owner', owner.port);
c.signal(owner.port, 'SIGKILL');
const t0 = Date.now();
let ok = 0, errs: Record<string, number> = {};
let done = false;
const loop = (async () => { while (!done) { try { await cluster.sendCommand('{t}a', false, ['GET', '{t}a'], { timeout: 500 } as any); ok++; if (ok === 1) console.log('first ok at', Date.now() - t0); } catch (e) { const m = (e as Error).name + ':' + (e as Error).message.slice(0, 40); if (process.argv[2] === 'fix') { const live = cluster.getMasters().find((m) => m.client?.isReady)?.client; (cluster as any)._slots.rediscover(live ?? cluster.getMasters()[0]!.client).catch((x: Error) => console.log('rediscover failed', x.message)); } errs[m] = (errs[m] ?? 0) + 1; await new Promise((r) => setTimeout(r, 50)); } } })();
const promoted = await c.waitForFailover(owner.port);
console.log('failover done in', Date.now() - t0, 'promoted', promoted);
await new Promise((r) => setTimeout(r, 4000));
done = true; await loop;
console.log('ok', ok, 'errs', errs);
got.length = 0;
await cluster.sendCommand('{t}chan', false, ['SPUBLISH', '{t}chan', 'after'], { timeout: 1000 } as any).catch((e) => console.log('spub after', e.message));
await cluster.sendCommand('x', false, ['PUBLISH', 'classic', 'after'], { timeout: 1000 } as any).catch((e) => console.log('pub after', e.message));
await new Promise((r) => setTimeout(r, 1000));
console.log('got after failover', got);
sub.destroy(); cluster.destroy();
await c.stop();
