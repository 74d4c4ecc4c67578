/**
 * A worker of the Postgres race test (`serveRaceOrders`): its own Postgres store and,
 * beside it, the generic Keyv store over @keyv/postgres on the same database.
 */
import { KeyvSessionStore, SessionRegistry, type SessionStore } from '@session-policy/core';
import { PostgresSessionStore } from '@session-policy/postgres';
import { serveRaceOrders } from '@session-policy/test-helpers/login-race';
import KeyvPostgres from '@keyv/postgres';
import Keyv from 'keyv';

const [url, prefix] = process.argv.slice(2) as [string, string];
const stores: Partial<Record<string, SessionStore>> = {};
function store(kind: string): SessionStore {
  return (stores[kind] ??=
    kind === 'postgres'
      ? new PostgresSessionStore(url, { prefix, queryTimeout: 5000 })
      : new KeyvSessionStore(new Keyv({ store: new KeyvPostgres({ uri: url, table: `${prefix}keyv` }) }), { closeKeyv: true }));
}
serveRaceOrders(
  ({ store: kind, limit, onLimit }) => {
    const registry = new SessionRegistry({ store: store(kind), maxSessions: limit, onLimit });
    registry.on('error', () => undefined);
    return registry;
  },
  () => Promise.all(Object.values(stores).map((s) => s?.close())),
);
