/**
 * A child process of the Postgres race test: on each message from the parent, logs one
 * principal in `count` times at once through its own registry, and answers with what
 * happened.
 */
import { KeyvSessionStore, SessionRegistry, type SessionStore } from '@session-policy/core';
import { PostgresSessionStore } from '@session-policy/postgres';
import KeyvPostgres from '@keyv/postgres';
import Keyv from 'keyv';

interface Round {
  readonly store: 'postgres' | 'keyv';
  readonly principal: string;
  readonly count: number;
  readonly limit: number;
  readonly onLimit: 'evict' | 'reject';
  readonly tag: string;
}

const [url, prefix] = process.argv.slice(2) as [string, string];
const stores: Partial<Record<Round['store'], SessionStore>> = {};
function store(kind: Round['store']): SessionStore {
  return (stores[kind] ??=
    kind === 'postgres'
      ? new PostgresSessionStore(url, { prefix, queryTimeout: 5000 })
      : new KeyvSessionStore(new Keyv({ store: new KeyvPostgres({ uri: url, table: `${prefix}keyv` }) }), { closeKeyv: true }));
}
const registries = new Map<string, SessionRegistry>();

function registry(round: Round): SessionRegistry {
  const key = `${round.store}/${round.limit}/${round.onLimit}`;
  let r = registries.get(key);
  if (!r) {
    r = new SessionRegistry({ store: store(round.store), maxSessions: round.limit, onLimit: round.onLimit });
    r.on('error', () => undefined);
    registries.set(key, r);
  }
  return r;
}

process.on('message', (message: Round | 'exit') => {
  if (message === 'exit') {
    void Promise.all(Object.values(stores).map((s) => s.close())).then(() => process.exit(0));
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
