// `npm start -w examples/express`: the example on PORT (default 3000).
// STORE=postgres DATABASE_URL=postgres://… runs it on the Postgres store (tables
// `sp_*`, created on first use); without STORE, on the embedded store.
import { PostgresSessionStore } from '@session-policy/postgres';
import { serve } from '../../shared/src/serve.js';
import { startExample } from './app.js';

const kind = process.env.STORE ?? 'memory';
if (kind !== 'memory' && kind !== 'postgres') throw new Error(`STORE must be "memory" or "postgres", got "${kind}"`);
if (kind === 'postgres' && !process.env.DATABASE_URL) throw new Error('STORE=postgres needs DATABASE_URL (postgres://user@host:port/database)');
const store = kind === 'postgres' ? new PostgresSessionStore(process.env.DATABASE_URL!) : undefined;

await serve(`Express (${kind} store)`, (options) => startExample({ ...options, ...(store ? { store } : {}) }));
