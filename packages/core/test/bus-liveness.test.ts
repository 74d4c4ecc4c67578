import test from 'ava';
import { StoreError } from '@session-policy/core';
import { BusLiveness } from '@session-policy/core/store';

function liveness(): { bus: BusLiveness; states: boolean[]; problems: Error[] } {
  const states: boolean[] = [];
  const problems: Error[] = [];
  const bus = new BusLiveness(60_000, { state: (live) => states.push(live), problem: (error) => problems.push(error) });
  return { bus, states, problems };
}

test('live only once the probe awaited comes back; each change of state reported once', (t) => {
  const { bus, states } = liveness();
  t.false(bus.live);
  t.false(bus.awaiting);
  const token = bus.probe();
  t.true(bus.awaiting);
  t.false(bus.heard('someone else'), 'another token proves nothing');
  t.false(bus.live);
  t.true(bus.heard(token));
  t.true(bus.live);
  t.false(bus.awaiting);
  // A second probe heard while live: no second report.
  t.true(bus.heard(bus.probe()));
  t.deepEqual(states, [true]);
  t.true(bus.down());
  t.false(bus.down(), 'already down');
  t.deepEqual(states, [true, false]);
});

test('down gives up the probe awaited: it cannot prove the bus live afterwards', (t) => {
  const { bus, states } = liveness();
  const token = bus.probe();
  bus.down();
  t.false(bus.awaiting);
  t.false(bus.heard(token));
  t.false(bus.live);
  t.deepEqual(states, []);
});

test('a lost connection reports its error (as ERR_STORE, operation bus) only while live', (t) => {
  const { bus, states, problems } = liveness();
  bus.lost(new Error('not yet live'));
  t.deepEqual(problems, []);
  bus.heard(bus.probe());
  bus.lost(new Error('connection reset'));
  t.false(bus.live);
  t.is(problems.length, 1);
  t.true(problems[0] instanceof StoreError);
  t.is((problems[0] as StoreError).code, 'ERR_STORE');
  t.is(((problems[0] as StoreError).cause as Error).message, 'connection reset');
  bus.heard(bus.probe());
  bus.lost();
  t.is(problems.length, 1, 'an end without an error reports none');
  t.deepEqual(states, [true, false, true, false]);
});

test('more than three missed probes in a row say to replace the connection; a probe heard or a new connection counts afresh', (t) => {
  const { bus } = liveness();
  t.deepEqual([bus.miss(), bus.miss(), bus.miss(), bus.miss()], [false, false, false, true]);
  t.is(bus.missed, 4);
  bus.fresh();
  t.is(bus.missed, 0);
  bus.miss();
  bus.miss();
  bus.heard(bus.probe());
  t.is(bus.missed, 0);
});

test('the probe timer: one at a time, none after close; close is quiet and final', async (t) => {
  const states: boolean[] = [];
  const bus = new BusLiveness(1, { state: (live) => states.push(live), problem: () => undefined });
  let ticks = 0;
  let second = 0;
  // The probe timer does not keep the process alive; this does, for the test.
  const keepAlive = setInterval(() => undefined, 1000);
  t.teardown(() => clearInterval(keepAlive));
  await new Promise<void>((resolve) => {
    bus.every(() => {
      if (++ticks === 3) resolve();
    });
    bus.every(() => second++);
  });
  bus.stop();
  const stoppedAt = ticks;
  t.is(second, 0, 'a second timer is not started while one runs');
  bus.heard(bus.probe());
  bus.close();
  t.true(bus.closed);
  t.false(bus.live);
  t.false(bus.awaiting);
  t.deepEqual(states, [true], 'closing reports no change of state');
  bus.every(() => ticks++);
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.is(ticks, stoppedAt, 'no timer runs after stop and close');
});
