import { randomUUID } from 'node:crypto';
import test from 'ava';
import pg from 'pg';
import { storeConformance } from '@session-policy/store-test-suite';
import { PostgresSessionStore } from '@session-policy/postgres';
import { usePostgresServer } from '@session-policy/test-helpers/postgres-server';

const stores: PostgresSessionStore[] = [];
let shared: pg.Pool | undefined;

const db = usePostgresServer(test, {
  stopping: async () => {
    await Promise.all(stores.map((s) => s.close()));
    await shared?.end();
  },
});

// Each store gets tables of its own (a prefix per store): sweeps read every session of
// their tables, and the suite's tests run at once with clocks of their own.
const prefix = (): string => `c${randomUUID().replaceAll('-', '').slice(0, 12)}_`;

storeConformance(test, {
  name: 'postgres',
  createStore: () => {
    // A generous timeout: the suite checks the rules, not speed, on a machine it shares.
    const store = new PostgresSessionStore(db.server.url, { prefix: prefix(), queryTimeout: 5000 });
    stores.push(store);
    return store;
  },
});

storeConformance(test, {
  name: 'postgres (your pool, no bus, no near cache)',
  createStore: () => {
    if (!shared) {
      shared = new pg.Pool({ connectionString: db.server.url, max: 8 });
      shared.on('error', () => undefined);
    }
    const store = new PostgresSessionStore(shared, { prefix: prefix(), bus: false, queryTimeout: 5000 });
    stores.push(store);
    return store;
  },
});
