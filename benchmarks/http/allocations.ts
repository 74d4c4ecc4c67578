// What the per-request path allocates, in process, without the network: the Express and
// Koa middlewares called in a loop on signed-in requests (the framework's request objects
// reduced to what the middleware reads), under V8's sampling heap profiler with collected
// objects included. Each allocation is attributed to the nearest function of ours on its
// stack: the adapters and the core's HTTP layer, or the registry and the store under it.
// (hapi and Fastify run their hooks inside the framework: see `--profile`, whose heap
// profile covers every adapter under load.)
//
//   node --conditions=session-policy-source --import tsx benchmarks/http/allocations.ts
import { Session } from 'node:inspector/promises';
import { SessionRegistry } from '@session-policy/core';
import { sessionPolicy as expressPolicy } from '@session-policy/express';
import { sessionPolicy as koaPolicy } from '@session-policy/koa';

interface HeapNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: HeapNode[];
}

const ID = 'a-session-id-of-express-session';
const registry = new SessionRegistry({ maxSessions: 2 });
await registry.admit({ principal: { id: 'alice' }, sessionId: ID });
type Middleware = (...args: unknown[]) => unknown;
const express = expressPolicy({ registry }) as unknown as Middleware;
const koa = koaPolicy({ registry }) as unknown as Middleware;
let passed = 0;
const next = () => void passed++;
// A fresh request per call, of one shape, as a server sees them (made here, so not ours):
// whatever the middleware adds to a request is allocated on every call, as under load.
const requestPrototype = {};
const contextPrototype = {};
// koa-session leaves its per-request state under a symbol; the adapter checks for it once.
const koaSessionState = Symbol('context#_contextSession');
const request = () => Object.assign(Object.create(requestPrototype) as object, { headers: {}, sessionID: ID, session: { cookie: {}, user: 'alice', sessionPolicy: 'alice' } });
const context = () => Object.assign(Object.create(contextPrototype) as object, { session: { user: 'alice', sessionPolicy: [ID, 'alice'] }, [koaSessionState]: {} });
const cases: Record<string, () => void> = {
  'registry.peek alone': () => void registry.peek(ID, 'alice'),
  'registry.peekActive alone': () => void registry.peekActive(ID, 'alice'),
  'express middleware': () => void express(request(), {}, next),
  'koa middleware': () => void koa(context(), next),
};

const ours = (url: string) => /\/((?:packages\/core|adapters\/[^/]+)\/src\/[^?]+)/.exec(url)?.[1];
const N = 300_000;
const inspector = new Session();
inspector.connect();
await inspector.post('HeapProfiler.enable');
for (const [name, call] of Object.entries(cases)) {
  for (let i = 0; i < N; i++) call(); // warm up: optimized code, as under load
  await inspector.post('HeapProfiler.startSampling', { samplingInterval: 32, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
  for (let i = 0; i < N; i++) call();
  const { profile } = (await inspector.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: HeapNode } };
  const byOwner = new Map<string, number>();
  const walk = (node: HeapNode, owner: string) => {
    const here = ours(node.callFrame.url) ? `${node.callFrame.functionName || '(anonymous)'} (${ours(node.callFrame.url)})` : owner;
    if (node.selfSize > 0) byOwner.set(here, (byOwner.get(here) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child, here);
  };
  walk(profile.head, '(not ours)');
  const rows = [...byOwner].filter(([owner]) => owner !== '(not ours)').sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, bytes]) => sum + bytes, 0);
  process.stdout.write(`${name}: ${(total / N).toFixed(1)} bytes/call sampled${rows.length ? ` — ${rows.map(([o, b]) => `${o} ${(b / N).toFixed(1)}`).join('; ')}` : ''}\n`);
}
inspector.disconnect();
await registry.close();
if (passed !== 4 * N) throw new Error(`expected every request to pass, ${passed} of ${4 * N} did`);
