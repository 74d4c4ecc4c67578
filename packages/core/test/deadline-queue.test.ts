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
  const slow = (label: string, ms: number) => () =>
    new Promise<string>((resolve) =>
      setTimeout(() => {
        order.push(label);
        resolve(label);
      }, ms),
    );
  const failing = () => Promise.reject(new Error('boom'));
  await Promise.all([
    m.run('x', slow('x1', 30)),
    t.throwsAsync(m.run('x', failing)),
    m.run('x', slow('x2', 1)),
    m.run('y', slow('y1', 5)),
  ]);
  t.deepEqual(order, ['y1', 'x1', 'x2']);
  await new Promise((resolve) => setImmediate(resolve));
  t.is(m.size, 0);
});
