// Heap used per live session by the embedded store: run with --expose-gc.
import { createMemoryStore, SessionRegistry } from '@session-policy/core';

const sessions = Number(process.argv[2] ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
gc();
const before = process.memoryUsage().heapUsed;
const registry = new SessionRegistry({ store: createMemoryStore({ maxPrincipals: sessions }), maxSessions: 2, idleTimeout: 3_600_000 });
for (let p = 0; p < sessions / 2; p++) {
  await registry.admit({ principal: `user-${p}@example.com`, sessionId: `sess-${p}-a-0123456789abcdef`, deviceId: 'laptop' });
  await registry.admit({ principal: `user-${p}@example.com`, sessionId: `sess-${p}-b-0123456789abcdef`, deviceId: 'phone' });
}
gc();
const after = process.memoryUsage().heapUsed;
const per = (after - before) / sessions;
console.log(
  `Memory per live session, embedded store, ${sessions.toLocaleString('en')} sessions (two per principal, 28-character ids, a device id): ` +
    `**${per.toFixed(0)} bytes** of heap (${((after - before) / 2 ** 20).toFixed(0)} MiB in all).`,
);
await registry.close();
