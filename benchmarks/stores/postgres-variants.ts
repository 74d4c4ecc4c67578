// The Postgres-backed variants: the Postgres store without and with its near cache, on
// one throwaway PostgreSQL started here (initdb in a temporary folder, a free loopback
// port), each variant on tables of its own (a prefix per variant).
import { randomUUID } from 'node:crypto';
import { PostgresSessionStore } from '@session-policy/postgres';
import { startPostgresServer, type PostgresServer } from '@session-policy/test-helpers/postgres-server';
import type { Variant } from './run.js';

let server: PostgresServer | undefined;

async function url(): Promise<string> {
  server ??= await startPostgresServer();
  return server.url;
}

const prefix = (): string => `bench_${randomUUID().replaceAll('-', '').slice(0, 8)}_`;

/** The Postgres variants to measure (up to 100 000 live sessions in `npm run bench:stores`). */
export function postgresVariants(): Variant[] {
  return [
    {
      name: 'postgres store, no near cache',
      maxSessions: 100_000,
      async open() {
        const store = new PostgresSessionStore(await url(), { prefix: prefix(), nearCache: false, queryTimeout: 5000, poolSize: 20 });
        return { store, close: () => store.close() };
      },
    },
    {
      name: 'postgres store + near cache',
      maxSessions: 100_000,
      async open() {
        const store = new PostgresSessionStore(await url(), { prefix: prefix(), queryTimeout: 5000, poolSize: 20 });
        // The near cache needs the LISTEN connection proven live.
        for (let i = 0; i < 100 && !store.nearCacheActive; i++) await new Promise((r) => setTimeout(r, 50));
        return { store, close: () => store.close() };
      },
    },
  ];
}

/** Stops and deletes the PostgreSQL the variants used. */
export async function stopPostgres(): Promise<void> {
  await server?.destroy();
  server = undefined;
}
