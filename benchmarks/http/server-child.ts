import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HELLO, hasSession, type ServerConfig } from './variants.js';

const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));

/** A variant's server running in its own process, logged in when the variant has a session. */
export interface ServerChild {
  readonly config: ServerConfig;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The request headers of a signed-in browser (`cookie`), empty for `bare`. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Opens a measured window in the server process: a full garbage collection first (so
   * that no variant's window starts with another's garbage), then its CPU time and its
   * count of requests.
   */
  windowStart(): Promise<void>;
  /** Closes the window: the server process's own CPU time (user + system, µs) and requests it answered since {@link windowStart}. */
  windowEnd(): Promise<ServerWindow>;
  /** Starts recording a CPU profile in the server process, and a sampling heap profile unless `heap` is false. */
  profileStart(heap?: boolean): Promise<void>;
  /** Stops recording and writes the `.cpuprofile` to `path`. */
  profileStop(path: string): Promise<void>;
  /** Stops the server and waits for its process to exit. */
  stop(): Promise<void>;
}

/** What the server process measured of itself over a window. */
export interface ServerWindow {
  /** CPU time, user + system, µs (`process.cpuUsage()` in the server). */
  readonly cpuUs: number;
  /** The user part of it, µs: the JavaScript and what it runs in-process, without the kernel's socket work. */
  readonly userUs: number;
  /** Requests the server received. */
  readonly requests: number;
}

/** Options of {@link startServerChild}. */
export interface ServerChildOptions {
  /** Extra Node flags for the child (e.g. `--cpu-prof`). */
  readonly nodeFlags?: readonly string[];
  /** Give up starting after this long, in milliseconds. Default 60 000 (tsx compiles on a cold cache). */
  readonly startTimeout?: number;
  /** The core to pin the server process to (`taskset -c`, from its start). Default: not pinned. */
  readonly cpu?: number;
}

/**
 * Starts a variant's server in a child process, waits for its port, and (for the session
 * variants) logs in once through `POST /login`, keeps the cookies it set, and checks that
 * `GET /hello` with them answers 200 `hello` — so the measured requests are those of a
 * signed-in user, admitted by the policy.
 *
 * @param config - the variant.
 * @param options - see {@link ServerChildOptions}.
 */
export async function startServerChild(config: ServerConfig, options: ServerChildOptions = {}): Promise<ServerChild> {
  const nodeArgs = ['--conditions=session-policy-source', '--import', 'tsx', '--expose-gc', ...(options.nodeFlags ?? [])];
  // Pinned: `taskset -c <cpu> node …`, so that every thread Node starts inherits the core.
  const child = fork(SERVER, [JSON.stringify(config)], {
    ...(options.cpu === undefined ? { execArgv: nodeArgs } : { execPath: 'taskset', execArgv: ['-c', String(options.cpu), process.execPath, ...nodeArgs] }),
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const stop = () => stopChild(child);
  try {
    const port = await waitForPort(child, options.startTimeout ?? 60_000, () => stderr);
    const url = `http://127.0.0.1:${port}`;
    const headers: Record<string, string> = hasSession(config.variant) ? { cookie: await logIn(url) } : {};
    const hello = await fetch(`${url}/hello`, { headers });
    const body = await hello.text();
    if (hello.status !== 200 || body !== HELLO) {
      throw new Error(`${config.framework}/${config.variant}: GET /hello answered ${hello.status} ${JSON.stringify(body.slice(0, 100))}`);
    }
    return {
      config,
      url,
      headers,
      stop,
      windowStart: async () => void (await ask(child, 'window-start', 'window')),
      windowEnd: async () => (await ask<{ window: ServerWindow }>(child, 'window-end', 'window')).window,
      profileStart: async (heap = true) => void (await ask(child, { profile: 'start', heap }, 'profiled')),
      profileStop: async (path) => void (await ask(child, { profile: 'stop', path }, 'profiled')),
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function waitForPort(child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      reject(new Error(`server child ${why}${stderr() ? `:\n${stderr()}` : ''}`));
    };
    const timer = setTimeout(() => fail(`gave no port within ${timeoutMs} ms`), timeoutMs);
    child.once('message', (message: { port?: unknown }) => {
      clearTimeout(timer);
      if (typeof message?.port === 'number') resolve(message.port);
      else fail(`sent ${JSON.stringify(message)}`);
    });
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before listening`));
    child.once('error', (error) => fail(`failed: ${error.message}`));
  });
}

/** `POST /login` and the `cookie` header that carries the session it set. */
async function logIn(url: string): Promise<string> {
  const response = await fetch(`${url}/login`, { method: 'POST', redirect: 'manual' });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`POST /login answered ${response.status}`);
  const cookies = response.headers.getSetCookie().map((line) => line.split(';', 1)[0]!.trim());
  if (cookies.length === 0) throw new Error('POST /login set no cookie');
  return cookies.join('; ');
}

/** Sends a message to the child and waits for its answer, the next message with `field` (or `profileError`). */
function ask<T>(child: ChildProcess, message: unknown, field: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (answer: Record<string, unknown>) => {
      if (answer?.profileError !== undefined) {
        done();
        reject(new Error(`server child: ${String(answer.profileError)}`));
      } else if (answer?.[field] !== undefined) {
        done();
        resolve(answer as T);
      }
    };
    const onExit = () => {
      done();
      reject(new Error('server child exited'));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(message as object);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.send('stop');
    else child.kill('SIGTERM');
  });
}
