// How fast a silently dead bus subscription is noticed (issue #19, point 1): a TCP proxy
// in front of Redis starts dropping everything Redis sends to the subscriber connection
// (the connection stays open), at a random point of the heartbeat's phase; the time from
// the cut until the store reports the bus down (near cache bypassed, `error` event).
// 20 cuts by default; median and max, in ms and in heartbeat intervals.
//
//   node --conditions=session-policy-source --import tsx benchmarks/stores/bus-silence.ts [cuts] [intervalMs]
import { RedisSessionStore } from '@session-policy/redis';
import { startRedisServer } from '@session-policy/test-helpers/redis-server';
import { startTcpProxy } from '@session-policy/test-helpers/tcp-proxy';

const cuts = Number(process.argv[2] ?? 20);
const interval = Number(process.argv[3] ?? 1000);
const server = await startRedisServer();
const times: number[] = [];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
for (let i = 0; i < cuts; i++) {
  const proxy = await startTcpProxy(server.port);
  const store = new RedisSessionStore(proxy.url, { prefix: `silence:${i}:`, busProbeInterval: interval });
  let downAt = 0;
  store.onError((e) => {
    if (!downAt && /heartbeat/.test(e.message)) downAt = performance.now();
  });
  while (!store.nearCacheActive) await sleep(5);
  await sleep(Math.random() * interval);
  const cutAt = performance.now();
  proxy.muteSubscribers();
  while (!downAt) await sleep(2);
  times.push(downAt - cutAt);
  await store.close();
  await proxy.close();
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)]!;
const max = times.at(-1)!;
console.log(
  `${cuts} cuts, heartbeat every ${interval} ms: detected after median ${median.toFixed(0)} ms (${(median / interval).toFixed(2)} intervals), ` +
    `min ${times[0]!.toFixed(0)} ms, max ${max.toFixed(0)} ms (${(max / interval).toFixed(2)} intervals)`,
);
await server.stop();
