import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import type { TestFn } from 'ava';
import pg from 'pg';
import { reapOnExit } from './reap-on-exit.js';
import { freePort } from './redis-server.js';

/** A throwaway PostgreSQL cluster started by a test on a free loopback port. */
export interface PostgresServer {
  /** The port it listens on. */
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  /** Stops it (fast shutdown, SIGKILL after 5 s). Data stays in the folder. Idempotent. */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder (after {@link stop}); data is kept. */
  restart(): Promise<void>;
  /** Stops it and deletes its folder. */
  destroy(): Promise<void>;
}

/**
 * Where Debian keeps the server binaries (`/usr/lib/postgresql/<major>/bin`), the newest
 * major first; `POSTGRES_BIN` overrides it.
 */
export function postgresBin(): string {
  if (process.env.POSTGRES_BIN) return process.env.POSTGRES_BIN;
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'bin', 'initdb'))) : [];
  majors.sort((a, b) => Number(b) - Number(a));
  if (majors[0]) return join(root, majors[0], 'bin');
  throw new Error('PostgreSQL server binaries not found (Debian: `apt-get install -y postgresql`, or set POSTGRES_BIN)');
}

/** A free TCP port on 127.0.0.1 (the same helper as the Redis server's). */
export { freePort };

// initdb and postgres refuse to run as root: as root, run them as the `postgres` user.
const asRoot = process.getuid?.() === 0;
function command(binary: string, args: readonly string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, [...args]];
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => done(true));
  });
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  const port = Number(new URL(url).port);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited with code ${child.exitCode} while starting`);
    if (await accepts(port)) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return;
      } catch {
        // still starting up ("the database system is starting up")
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    if (Date.now() > until) throw new Error(`postgres on port ${port} did not accept queries within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Creates a cluster with `initdb` in a temporary folder (trust authentication, UTF-8, C
 * locale, no fsync), starts `postgres` on a free loopback port (its socket in the same
 * folder), waits until it answers a query and returns a handle. As root, both run as the
 * `postgres` user through `runuser`. Stop it in `test.after.always` (see
 * {@link usePostgresServer}).
 *
 * @param settings - extra server settings (`-c name=value`), e.g. `{ max_connections: '200' }`.
 */
export async function startPostgresServer(settings: Readonly<Record<string, string>> = {}): Promise<PostgresServer> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'sp-pg-'));
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const [initCmd, initArgs] = command(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed (${init.status}): ${init.stderr || init.stdout}`);

  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'];
    args.push('-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200');
    for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
    const [cmd, cmdArgs] = command(join(bin, 'postgres'), args);
    const proc = spawn(cmd, cmdArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    // SIGQUIT: immediate shutdown of the postmaster (runuser's child) and its backends.
    proc.once('exit', reapOnExit(() => {
      const pid = postmasterPid();
      if (pid) signal(pid, 'SIGQUIT');
      proc.kill('SIGKILL');
    }));
    let log = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      if (log.length < 20_000) log += chunk.toString();
    });
    try {
      await waitReady(url, proc, 20_000);
    } catch (error) {
      proc.kill('SIGKILL');
      throw new Error(`${(error as Error).message}\n${log}`);
    }
  };

  // The postmaster's pid (runuser's child), read from its pid file: signalling runuser
  // alone would not reach it.
  const postmasterPid = (): number | undefined => {
    try {
      const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const pid = postmasterPid();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        if (pid) signal(pid, 'SIGKILL');
        proc.kill('SIGKILL');
      }, 5000);
      proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      // SIGINT: fast shutdown (open connections are terminated at once).
      if (pid) signal(pid, 'SIGINT');
      else proc.kill('SIGINT');
    });
  };

  const destroy = async (): Promise<void> => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { port, url, stop, restart: start, destroy };
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** A test file's PostgreSQL and an admin pool on it (see {@link usePostgresServer}). */
export interface PostgresFixture {
  /** The server (set once the `before` hook ran). */
  readonly server: PostgresServer;
  /** A pool on it, for looking at tables. */
  readonly admin: pg.Pool;
}

/** What {@link usePostgresServer} runs around the server's life. */
export interface PostgresFixtureHooks {
  /** Runs once the server is up (ava runs `before` hooks concurrently: start workers here). */
  readonly started?: (fixture: PostgresFixture) => Promise<void>;
  /** Runs before the server is stopped (close stores, pools and workers here). */
  readonly stopping?: () => Promise<void>;
  /** Extra server settings. */
  readonly settings?: Readonly<Record<string, string>>;
}

/**
 * Starts one PostgreSQL for a test file before its tests and destroys it after them,
 * with an admin pool on it.
 *
 * @param test - the file's ava `test`.
 * @param hooks - see {@link PostgresFixtureHooks}.
 */
export function usePostgresServer(test: TestFn, hooks: PostgresFixtureHooks = {}): PostgresFixture {
  const fixture = {} as { server: PostgresServer; admin: pg.Pool };
  test.before(async () => {
    fixture.server = await startPostgresServer(hooks.settings);
    fixture.admin = new pg.Pool({ connectionString: fixture.server.url, max: 2 });
    fixture.admin.on('error', () => undefined);
    await hooks.started?.(fixture);
  });
  test.after.always(async () => {
    await hooks.stopping?.().catch(() => undefined);
    await fixture.admin?.end().catch(() => undefined);
    await fixture.server?.destroy();
  });
  return fixture;
}
