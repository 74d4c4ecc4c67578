// A server child of the HTTP benchmark: starts one variant's app on a free loopback port,
// reports `{ port }` over IPC, and stops (closing its registry) on the message 'stop'.
// Its own process, so that the load generator never shares its event loop.
//
//   node --conditions=development --import tsx benchmarks/http/server.ts '{"framework":"express","variant":"session"}'
import type { AddressInfo } from 'node:net';
import { startExpress } from './express-app.js';
import { startHapi } from './hapi-app.js';
import { startKoa } from './koa-app.js';
import type { BenchServer } from './bench-server.js';
import type { ServerConfig } from './variants.js';

const config = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
const starters = { express: startExpress, koa: startKoa, hapi: startHapi } as const;
const start = starters[config.framework];
if (!start) throw new Error(`unknown framework ${String(config.framework)}`);

const app: BenchServer = await start(config);
const { port } = app.server.address() as AddressInfo;
const send = (message: unknown): void => {
  if (process.send) process.send(message);
  else process.stdout.write(`${JSON.stringify(message)}\n`);
};
send({ port });

process.on('message', (message) => {
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
