import test from 'ava';
import { KeyedMutex } from '@session-policy/core/store';
import { DeadlineQueue } from '../src/deadline-queue.js';

test('deadline queue: one live entry per key, earliest wins, pops only what is due', (t) => {
  const q = new DeadlineQueue();
  q.schedule('a', 50);
  q.schedule('b', 10);
  q.schedule('a', 5);
  q.schedule('b', 99);
  q.schedule('c', Infinity);
  t.is(q.size, 2);
  t.deepEqual(q.due(4, 10), []);
  t.deepEqual(q.due(10, 10), ['a', 'b']);
  t.deepEqual(q.due(1000, 10), []);
  for (let i = 0; i < 100; i++) q.schedule(`k${i}`, 1000 - i);
  t.deepEqual(q.due(905, 3), ['k99', 'k98', 'k97']);
  t.is(q.due(2000, 1000).length, 97);
});

test('keyed mutex: serializes per key, runs keys in parallel, forgets idle keys', async (t) => {
  const m = new KeyedMutex();
  const order: string[] = [];
  // No timers: x1 is held until y1 has run, which it can only do if keys run in parallel
  // (if they did not, y1 would wait behind x1, the fallback opens the gate after 2 s and the
  // order shows it); x2 must wait for x1 and the failing job.
  let open = () => {};
  const held = new Promise<void>((resolve) => (open = resolve));
  const fallback = setTimeout(() => open(), 2000);
  const job = (label: string, wait?: Promise<void>) => async () => {
    await wait;
    order.push(label);
    return label;
  };
  const failing = () => Promise.reject(new Error('boom'));
  await Promise.all([
    m.run('x', job('x1', held)),
    t.throwsAsync(m.run('x', failing)),
    m.run('x', job('x2')),
    m.run('y', job('y1')).then(() => open()),
  ]);
  clearTimeout(fallback);
  t.deepEqual(order, ['y1', 'x1', 'x2']);
  await new Promise((resolve) => setImmediate(resolve));
  t.is(m.size, 0);
});
