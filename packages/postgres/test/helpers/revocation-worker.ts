/**
 * A child process of the Postgres revocation test ("another server"): a registry on the
 * shared tables with a long near-cache TTL, so only the bus can make it refuse a session
 * ended elsewhere. It reports every remote end with its arrival time, and answers
 * `check` and `end` commands.
 */
import { SessionRegistry } from '@session-policy/core';
import { PostgresSessionStore } from '@session-policy/postgres';

interface Command {
  readonly cmd: 'check' | 'end' | 'live' | 'exit';
  readonly principal?: string;
  readonly id?: string;
  readonly seq: number;
}

const [url, prefix] = process.argv.slice(2) as [string, string];
const store = new PostgresSessionStore(url, { prefix, nearCache: { ttl: 60_000 }, queryTimeout: 5000 });
const registry = new SessionRegistry({ store });
registry.on('error', () => undefined);
registry.on('ended', (session, origin) => {
  if (origin === 'remote') process.send?.({ event: 'ended', id: session.sessionId, reason: session.endReason, at: Date.now() });
});

process.on('message', (message: Command) => {
  void (async () => {
    if (message.cmd === 'exit') {
      await registry.close();
      process.exit(0);
    }
    if (message.cmd === 'live') return { live: store.nearCacheActive };
    if (message.cmd === 'check') {
      const request = { principal: message.principal!, id: message.id! };
      const fromCache = registry.peek(request.id, request.principal) !== undefined;
      const result = await registry.check(request.id, request.principal);
      return { status: result.status, reason: result.status === 'ended' ? result.reason : undefined, fromCache };
    }
    const at = Date.now();
    const ended = await registry.end(message.id!, message.principal!, 'revoked');
    return { ended: ended?.sessionId, at };
  })().then(
    (reply) => process.send?.({ seq: message.seq, ...reply }),
    (error: unknown) => process.send?.({ seq: message.seq, error: String(error) }),
  );
});
process.send?.('ready');
