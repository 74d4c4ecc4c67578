/**
 * A child process that uses a store on the given URL, reports what it saw, closes the
 * registry and does not call process.exit: it must end by itself (no connection, timer
 * or socket left open), whether Postgres is up or down. Argument: url.
 */
import { SessionRegistry } from '@session-policy/core';
import { PostgresSessionStore } from '@session-policy/postgres';

const [url] = process.argv.slice(2) as [string];
const registry = new SessionRegistry({ store: new PostgresSessionStore(url, { queryTimeout: 300, busProbeInterval: 100 }) });
registry.on('error', () => undefined);
const seen: string[] = [];
for (const op of [() => registry.admit({ principal: 'u', sessionId: 's1' }), () => registry.list('u')]) {
  try {
    await op();
    seen.push('ok');
  } catch (error) {
    seen.push((error as { code?: string }).code ?? String(error));
  }
}
seen.push((await registry.check('s1', 'u')).status);
process.send?.(seen);
await registry.close();
