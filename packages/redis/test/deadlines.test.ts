import test from 'ava';
import { Deadlines } from '../src/deadlines.js';

// The command deadline (one timer for every outstanding command of a connection).

// The deadline timer is unref'd (in a real connection the socket keeps the process
// alive); here nothing else would, so this file holds one ref'd timer while it runs.
let alive: NodeJS.Timeout;
test.before(() => {
  alive = setInterval(() => undefined, 60_000);
});
test.after.always(() => clearInterval(alive));

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);
const later = <T>(value: T, ms: number): Promise<T> => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

test.serial('a reply within the deadline is passed through, value or error', async (t) => {
  const deadlines = new Deadlines(1000);
  t.is(await deadlines.watch(Promise.resolve('OK'), 'GET'), 'OK');
  const error = await t.throwsAsync(deadlines.watch(Promise.reject(new Error('WRONGTYPE')), 'GET'));
  t.is(error?.message, 'WRONGTYPE');
});

test.serial('commands without a reply fail at their deadline, each one, whatever else is outstanding', async (t) => {
  const deadlines = new Deadlines(200);
  const started = performance.now();
  const silent = Array.from({ length: 100 }, (_, i) => deadlines.watch(never(), `EVALSHA#${i}`).catch((e: Error) => ({ e, at: performance.now() - started })));
  const answered = Array.from({ length: 100 }, (_, i) => deadlines.watch(later(i, 50), 'GET'));
  t.deepEqual(await Promise.all(answered), Array.from({ length: 100 }, (_, i) => i));
  const failures = (await Promise.all(silent)) as Array<{ e: Error; at: number }>;
  failures.forEach(({ e, at }, i) => {
    t.is(e.message, `Redis did not answer EVALSHA#${i} within 200 ms`);
    t.true(at >= 199, `failed after ${at} ms, before its deadline`);
  });
});

test.serial('a late reply after the deadline changes nothing and is not an unhandled rejection', async (t) => {
  const deadlines = new Deadlines(50);
  let rejectLate: (e: Error) => void = () => undefined;
  const late = new Promise<never>((_, reject) => (rejectLate = reject));
  await t.throwsAsync(deadlines.watch(late, 'GET'), { message: /within 50 ms/ });
  rejectLate(new Error('socket closed'));
  await later(undefined, 20);
  t.is(await deadlines.watch(later('again', 10), 'GET'), 'again');
});

test.serial('deadlines keep working after long idle gaps and across many settled entries', async (t) => {
  const deadlines = new Deadlines(100);
  for (let round = 0; round < 3; round++) {
    const ok = await Promise.all(Array.from({ length: 3000 }, (_, i) => deadlines.watch(Promise.resolve(i), 'GET')));
    t.is(ok.length, 3000);
    await t.throwsAsync(deadlines.watch(never(), 'GET'), { message: /within 100 ms/ });
    await later(undefined, 150);
  }
});
