/**
 * A child process that uses a store, optionally against a Redis that is down, closes it
 * and then simply returns: if anything (socket, timer, subscriber) were left open, the
 * process would not exit and the fault test would time it out. Arguments: url.
 */
import { SessionRegistry } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';

const [url] = process.argv.slice(2) as [string];
const registry = new SessionRegistry({ store: new RedisSessionStore(url, { commandTimeout: 300, busProbeInterval: 100 }) });
registry.on('error', () => undefined);
const codes: string[] = [];
for (const id of ['s1', 's2']) {
  try {
    await registry.admit({ principal: 'u', sessionId: id });
    codes.push('ok');
  } catch (error) {
    codes.push((error as { code?: string }).code ?? 'untyped');
  }
}
const check = await registry.check('s1', 'u');
codes.push(check.status);
await registry.close();
process.send?.(codes);
