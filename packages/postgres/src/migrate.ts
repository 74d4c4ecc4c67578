import { StoreError } from '@session-policy/core';
import pg from 'pg';
import { Database } from './database.js';
import { resolvePostgresOptions, type PostgresSessionStoreOptions } from './options.js';
import { SCHEMA_VERSION, TableNames } from './schema.js';

/**
 * Creates (or checks) the store's tables: in one transaction under an advisory lock, so
 * processes starting together do not race; `CREATE … IF NOT EXISTS` throughout, so it
 * can run at every start. Throws `ERR_STORE` when the tables were made by a newer
 * version of this package (a newer `schema_version`).
 *
 * @param database - the store's database.
 * @param tables - the table names.
 * @param create - create what is missing (`false`: only check the version).
 */
export async function ensureSchema(database: Database, tables: TableNames, create: boolean): Promise<void> {
  if (create) {
    await database.transaction([tables.migrationLockId], [], async (_, tx) => {
      await tx.batch(tables.ddl());
      await tx.query(`INSERT INTO ${tables.meta} (name, value) VALUES ('schema_version', $1) ON CONFLICT (name) DO NOTHING`, [String(SCHEMA_VERSION)]);
      return { value: undefined };
    });
  }
  let version: number;
  try {
    const { rows } = await database.query(`SELECT value FROM ${tables.meta} WHERE name = 'schema_version'`);
    version = Number((rows[0] as { value?: string } | undefined)?.value);
  } catch (error) {
    throw new StoreError('migrate', error, `The session tables ${tables.meta} are missing or unreadable (run migrate(), or let the store create them with migrate: true): ${(error as Error).message}`);
  }
  if (!Number.isInteger(version)) throw new StoreError('migrate', undefined, `${tables.meta} holds no schema_version: not tables of this store`);
  if (version > SCHEMA_VERSION) {
    throw new StoreError('migrate', undefined, `The session tables are at schema version ${version}, newer than this @session-policy/postgres (${SCHEMA_VERSION}): upgrade the package`);
  }
}

/**
 * Creates the store's tables and indexes if missing, for a deploy step run with a role
 * allowed to create tables (then give the application's stores `migrate: false`). Safe to
 * run at any time and from several processes at once.
 *
 * @example
 * ```ts
 * import { migrate } from '@session-policy/postgres';
 * await migrate(process.env.DATABASE_URL ?? 'postgres://localhost/app', { prefix: 'myapp_sp_' });
 * ```
 *
 * @param source - a connection string (a pool is made and ended) or a `pg.Pool` (left open).
 * @param options - the store's `prefix`, `schema` and `queryTimeout` (others are ignored).
 * @public
 */
export async function migrate(source: string | pg.Pool, options: PostgresSessionStoreOptions = {}): Promise<void> {
  const resolved = resolvePostgresOptions(options);
  const made = typeof source === 'string';
  const pool = made ? new pg.Pool({ connectionString: source, max: 1 }) : source;
  // Migrations may wait on each other's lock: give them a longer timeout than operations.
  const database = new Database(pool, Math.max(resolved.queryTimeout, 10_000), () => undefined);
  try {
    await ensureSchema(database, new TableNames(resolved.prefix, resolved.schema), true);
  } finally {
    await database.close(made);
  }
}
