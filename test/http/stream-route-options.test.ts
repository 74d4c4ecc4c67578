// Every adapter's stream route checks its options when it is made: a wrong or misspelt one
// fails at start-up, not on every stream request (and not after Fastify hijacked one).
import test from 'ava';
import { LiveConnections, SessionRegistry } from '@session-policy/core';
import { eventStream as expressStream } from '@session-policy/express';
import { eventStream as koaStream } from '@session-policy/koa';
import { eventStreamHandler as hapiStream } from '@session-policy/hapi';
import { eventStream as fastifyStream } from '@session-policy/fastify';

type Factory = (live: LiveConnections, options?: { retry?: number; connectionId?: string }) => unknown;
const FACTORIES: [string, Factory][] = [
  ['eventStream() (Express)', expressStream],
  ['eventStream() (Koa)', koaStream],
  ['eventStreamHandler() (hapi)', hapiStream],
  ['eventStream() (Fastify)', fastifyStream],
];

for (const [owner, make] of FACTORIES) {
  test(`${owner}: a wrong or misspelt option fails when the route is made`, async (t) => {
    const registry = new SessionRegistry();
    const live = new LiveConnections(registry);
    const error = t.throws(() => make(live, { retyr: 1000 } as never), { code: 'ERR_INVALID_OPTION' });
    t.is(error!.message, `Invalid option "retyr": ${owner} has no such option; did you mean "retry"?`);
    t.throws(() => make(live, { retry: -1 }), { code: 'ERR_INVALID_OPTION', message: /retry/ });
    t.throws(() => make(live, { retry: 1.5 }), { code: 'ERR_INVALID_OPTION', message: /retry/ });
    t.notThrows(() => make(live, { retry: 1000, connectionId: 'tab-1' }));
    t.notThrows(() => make(live));
    await live.close();
    await registry.close();
  });
}
