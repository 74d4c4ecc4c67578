/**
 * A child process of the race test: on each message from the parent, logs one principal
 * in `count` times at once through its own registry, and answers with what happened.
 */
import { createKeyv } from '@keyv/redis';
import { KeyvSessionStore, SessionRegistry, type SessionStore } from '@session-policy/core';
import { RedisSessionStore } from '@session-policy/redis';

interface Round {
  readonly store: 'redis' | 'keyv';
  readonly principal: string;
  readonly count: number;
  readonly limit: number;
  readonly onLimit: 'evict' | 'reject';
  readonly tag: string;
}

const [url, prefix] = process.argv.slice(2) as [string, string];
const keyv = createKeyv(url, { namespace: `${prefix}keyv` });
const stores: Record<Round['store'], SessionStore> = {
  redis: new RedisSessionStore(url, { prefix }),
  keyv: new KeyvSessionStore(keyv, { closeKeyv: true }),
};
const registries = new Map<string, SessionRegistry>();

function registry(round: Round): SessionRegistry {
  const key = `${round.store}/${round.limit}/${round.onLimit}`;
  let r = registries.get(key);
  if (!r) {
    r = new SessionRegistry({ store: stores[round.store], maxSessions: round.limit, onLimit: round.onLimit });
    r.on('error', () => undefined);
    registries.set(key, r);
  }
  return r;
}

process.on('message', (message: Round | 'exit') => {
  if (message === 'exit') {
    void Promise.all([...Object.values(stores)].map((s) => s.close())).then(() => process.exit(0));
    return;
  }
  const round = message;
  const reg = registry(round);
  const logins = Array.from({ length: round.count }, (_, i) =>
    reg.admit({ principal: round.principal, sessionId: `${round.tag}-${process.pid}-${i}` }).then(
      (result) =>
        result.admitted
          ? { id: result.session.sessionId, admitted: true, evicted: result.evicted.map((s) => s.sessionId) }
          : { id: `${round.tag}-${process.pid}-${i}`, admitted: false, code: result.code },
      (error: unknown) => ({ id: `${round.tag}-${process.pid}-${i}`, admitted: false, error: String(error) }),
    ),
  );
  void Promise.all(logins).then((results) => process.send?.(results));
});
process.send?.('ready');
