// A child process of the revocation benchmarks (revocation-delay.ts, outage.ts): a
// registry on its own Redis store that reports every session ended elsewhere, with the
// wall-clock time it heard of it, and says 'ready' once its bus is live.
import { performance } from 'node:perf_hooks';
import { SessionRegistry } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';

/** Wall-clock milliseconds comparable across processes (sub-millisecond resolution). */
export const wallClock = (): number => performance.timeOrigin + performance.now();

/** Runs the listener in this (forked) process until the parent sends 'exit' or goes away. */
export function runRevocationListener(url: string, prefix: string): void {
  process.once('disconnect', () => process.exit(1)); // the parent is gone
  const store = new RedisSessionStore(url, { prefix });
  const registry = new SessionRegistry({ store });
  registry.on('ended', (session, origin) => {
    if (origin === 'remote') process.send?.({ id: session.sessionId, at: wallClock() });
  });
  const waitLive = setInterval(() => {
    if (store.nearCacheActive) {
      clearInterval(waitLive);
      process.send?.('ready');
    }
  }, 10);
  process.on('message', (m) => {
    if (m === 'exit') void registry.close().then(() => process.exit(0));
  });
}
