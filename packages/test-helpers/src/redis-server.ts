import { spawn, type ChildProcess } from 'node:child_process';
import { reapOnExit } from './reap-on-exit.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestFn } from 'ava';
import { createClient } from '@keyv/redis';
import { createServer, connect } from 'node:net';
import { destroyQuietly } from './destroy-quietly.js';

/** A `redis-server` started by a test on a free loopback port. */
export interface RedisServer {
  /** The port it listens on. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Stops it (SIGTERM, then SIGKILL after 2 s). Idempotent. */
  stop(): Promise<void>;
  /** Kills it with SIGKILL (a crash: nothing flushed) and waits for it to exit. Idempotent. */
  kill(): Promise<void>;
  /** Starts it again on the same port (after {@link stop} or {@link kill}); data is gone unless persistence is on. */
  restart(): Promise<void>;
  /** Stops it for good and removes the folder `persistent` gave it (if any): for `test.after.always`. */
  dispose(): Promise<void>;
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** The port; default a free one. */
  readonly port?: number;
  /** Extra `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. */
  readonly args?: readonly string[];
  /** The binary. Default `REDIS_SERVER` from the environment, else `redis-server` on the PATH. */
  readonly binary?: string;
  /** Working directory (cluster config files go there). Default the OS temp dir. */
  readonly dir?: string;
  /**
   * AOF persistence (`--appendonly yes --appendfsync <this>`), as a deployment whose
   * revocations must survive a restart runs it: `restart()` finds the data again. Without
   * `dir`, the server gets a temporary folder of its own, removed by `dispose()`. Default
   * none (persistence off).
   */
  readonly persistent?: 'always' | 'everysec';
}

/**
 * A free TCP port on 127.0.0.1 (the OS picks one, we release it).
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Waits until something accepts TCP connections and answers PING on the port.
 *
 * @param port - the port.
 * @param timeoutMs - give up after this long.
 * @param failed - asked between attempts: an error ends the wait at once (the server
 *   process exited, e.g. because another process took the port meanwhile).
 */
export async function waitForRedis(port: number, timeoutMs = 10_000, failed?: () => Error | undefined): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await ping(port)) return;
    const failure = failed?.();
    if (failure) throw failure;
    if (Date.now() > until) throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/**
 * Starts `redis-server` on a free loopback port with persistence off (`--save ''
 * --appendonly no`) unless `persistent` asks for AOF, waits until it answers, and returns a handle to stop it. Stop it in
 * `test.after.always`.
 *
 * @param options - see {@link RedisServerOptions}.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? process.env.REDIS_SERVER ?? 'redis-server';
  let port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;
  const ownDir = options.persistent && !options.dir ? await mkdtemp(join(tmpdir(), 'sp-redis-aof-')) : undefined;
  const dir = options.dir ?? ownDir;
  const persistence = options.persistent ? ['--appendonly', 'yes', '--appendfsync', options.persistent] : ['--appendonly', 'no'];

  const start = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, ...(options.args ?? [])];
    if (dir) args.push('--dir', dir);
    const proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    proc.once('exit', reapOnExit(() => proc.kill('SIGKILL')));
    let failed: Error | undefined;
    proc.on('error', (error) => {
      failed = error;
    });
    proc.on('exit', (code, signal) => {
      failed ??= new Error(`redis-server on port ${port} exited (${signal ?? code}) before answering`);
    });
    proc.stderr?.resume();
    try {
      await waitForRedis(port, 10_000, () => failed);
    } catch (error) {
      proc.kill('SIGKILL');
      throw failed ?? error;
    }
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => proc.kill('SIGKILL'), 2000);
        proc.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        proc.kill('SIGTERM');
      });
    }
  };

  const dispose = async (): Promise<void> => {
    await stop();
    if (ownDir) await rm(ownDir, { recursive: true, force: true });
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  };

  // The free port is released before redis-server binds it: another process (other test
  // files, other jobs on the machine) may take it in between. Then try another one.
  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (error) {
      if (options.port !== undefined || attempt >= 5) throw error;
      port = await freePort();
    }
  }
  return { port, url: `redis://127.0.0.1:${port}`, stop, kill, restart: start, dispose };
}

/** A test file's redis-server and a connected admin client (see {@link useRedisServer}). */
export interface RedisFixture {
  /** The server (set once the `before` hook ran). */
  readonly server: RedisServer;
  /** A client on it, for looking at keys and stats. */
  readonly admin: ReturnType<typeof createClient>;
}

/**
 * Starts one redis-server for a test file before its tests and stops it after them,
 * with an admin client on it.
 *
 * @param test - the file's ava `test`.
 */
export function useRedisServer(test: TestFn): RedisFixture {
  const fixture = {} as { server: RedisServer; admin: ReturnType<typeof createClient> };
  test.before(async () => {
    fixture.server = await startRedisServer();
    fixture.admin = createClient({ url: fixture.server.url });
    await fixture.admin.connect();
  });
  test.after.always(async () => {
    destroyQuietly(fixture.admin);
    await fixture.server?.stop();
  });
  return fixture;
}
