/**
 * A child process that ends one session through its own store and registry, then exits:
 * "another server" in the cross-process revocation test. Arguments: url, prefix,
 * principal, session id.
 */
import { SessionRegistry } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';

const [url, prefix, principal, sessionId] = process.argv.slice(2) as [string, string, string, string];
const registry = new SessionRegistry({ store: new RedisSessionStore(url, { prefix }) });
const ended = await registry.end(sessionId, principal, 'revoked');
await registry.close();
process.send?.(ended ? 'ended' : 'not-found');
