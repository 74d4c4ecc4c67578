// A server child of the HTTP benchmark: starts one variant's app on a free loopback port,
// reports `{ port }` over IPC, measures its own CPU time and requests between
// 'window-start' and 'window-end' (after a full GC at the start), records a CPU profile
// and a sampling heap profile (next to it, `.heapprofile`) between `{ profile: 'start' }`
// and `{ profile: 'stop', path }` (so that start-up is not in them), and stops (closing its registry) on the message 'stop'.
// Its own process, so that the load generator never shares its event loop.
//
//   node --conditions=session-policy-source --import tsx benchmarks/http/server.ts '{"framework":"express","variant":"session"}'
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { startExpress } from './express-app.js';
import { startFastify } from './fastify-app.js';
import { startHapi } from './hapi-app.js';
import { startKoa } from './koa-app.js';
import type { BenchServer } from './bench-server.js';
import type { ServerConfig } from './variants.js';

const config = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
const starters = { express: startExpress, koa: startKoa, hapi: startHapi, fastify: startFastify } as const;
const start = starters[config.framework];
if (!start) throw new Error(`unknown framework ${String(config.framework)}`);

const app: BenchServer = await start(config);
const { port } = app.server.address() as AddressInfo;
const send = (message: unknown): void => {
  if (process.send) process.send(message);
  else process.stdout.write(`${JSON.stringify(message)}\n`);
};
send({ port });

// Requests counted by the server itself: CPU per request is its own CPU time over its own
// count, whatever the load generator saw. The same listener in every variant.
let requests = 0;
app.server.on('request', () => void requests++);
let window: { cpu: NodeJS.CpuUsage; requests: number } | undefined;
const gc = (globalThis as { gc?: () => void }).gc;

process.on('message', (message) => {
  // The parent opens a window right before each load run and closes it right after: CPU
  // per request is the overhead measure that a busy shared machine disturbs least.
  if (message === 'window-start') {
    gc?.();
    window = { cpu: process.cpuUsage(), requests };
    return send({ window: 'started' });
  }
  if (message === 'window-end') {
    if (!window) return send({ profileError: 'window-end without window-start' });
    const cpu = process.cpuUsage(window.cpu);
    const answer = { cpuUs: cpu.user + cpu.system, userUs: cpu.user, requests: requests - window.requests };
    window = undefined;
    return send({ window: answer });
  }
  if (isProfileMessage(message)) return void profile(message).then(send, (error: unknown) => send({ profileError: String(error) }));
  if (message !== 'stop') return;
  void app.close().then(
    // process.exit, not a natural end: --cpu-prof writes its profile on exit either way,
    // and a stray handle of a framework must not keep the child alive.
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`close failed: ${String(error)}\n`);
      process.exit(1);
    },
  );
});
process.on('disconnect', () => process.exit(0));

type ProfileMessage = { profile: 'start'; heap?: boolean } | { profile: 'stop'; path: string };
function isProfileMessage(message: unknown): message is ProfileMessage {
  return typeof message === 'object' && message !== null && 'profile' in message;
}

let inspector: Session | undefined;
let sampling = false;
async function profile(message: ProfileMessage): Promise<{ profiled: string }> {
  if (message.profile === 'start') {
    inspector = new Session();
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
    // Every allocation sampled (about one per 256 bytes), the collected ones included:
    // what the per-request path allocates, not what survives.
    sampling = message.heap !== false;
    if (!sampling) return { profiled: 'started' };
    await inspector.post('HeapProfiler.enable');
    await inspector.post('HeapProfiler.startSampling', {
      samplingInterval: 256,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    } as never);
    return { profiled: 'started' };
  }
  if (!inspector) throw new Error('profile stop without start');
  const { profile: result } = await inspector.post('Profiler.stop');
  const heap = sampling ? (await inspector.post('HeapProfiler.stopSampling')).profile : { head: { id: 0, callFrame: { functionName: '(none)', url: '', lineNumber: 0 }, selfSize: 0, children: [] }, samples: [] };
  inspector.disconnect();
  inspector = undefined;
  await writeFile(message.path, JSON.stringify(result));
  await writeFile(`${message.path}.heapprofile`, JSON.stringify(heap));
  return { profiled: message.path };
}
