import { connect } from 'node:net';
import test from 'ava';
import { eventually } from '@session-policy/test-helpers/eventually';
import { runWorker } from '@session-policy/test-helpers/run-worker';

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

test('servers a process started and never stopped are killed when it exits (redis-server, cluster nodes, postgres)', async (t) => {
  const exit = await runWorker(new URL('./helpers/exit-without-stopping.ts', import.meta.url), []);
  t.is(exit.code, 0);
  const { ports, pids } = exit.message as { ports: number[]; pids: number[] };
  // What the reaper missed (if it did) is killed here, so a failing run leaves nothing behind.
  t.teardown(() => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
  });
  t.is(ports.length, 5, 'one redis-server, three cluster masters, one postgres');
  t.true(pids.every((pid) => Number.isInteger(pid) && pid > 0), String(pids));
  await t.notThrowsAsync(
    eventually(async () => (await Promise.all(ports.map(refused))).every(Boolean), 10_000, 100, 'a server outlived the process that started it'),
  );
  for (const port of ports) t.true(await refused(port), `port ${port} still answers`);
});
