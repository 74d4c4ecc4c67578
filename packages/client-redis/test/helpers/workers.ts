import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The key the workers seal session material with (a test key, 32 bytes). */
export const TEST_KEY = Buffer.alloc(32, 7).toString('base64');

const WORKER = fileURLToPath(new URL('worker.ts', import.meta.url));

/** A worker process and its messages. */
export interface Worker {
  readonly child: ChildProcess;
  /** The next message from the worker. */
  next(): Promise<Record<string, unknown>>;
  /** Sends a line to the worker. */
  send(line: string): void;
}

/** Starts a worker process (see worker.ts) with this configuration. */
export function startWorker(config: Record<string, unknown>): Worker {
  const child = spawn(process.execPath, ['--conditions=session-policy-source', '--import=tsx', WORKER, JSON.stringify(config)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, SESSION_KEY: TEST_KEY },
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return {
    child,
    async next() {
      const { value, done } = await lines.next();
      if (done) throw new Error(`worker ${child.pid} ended (exit code ${child.exitCode})`);
      return JSON.parse(value as string) as Record<string, unknown>;
    },
    send(line) {
      child.stdin!.write(`${line}\n`);
    },
  };
}

/** What one run of N workers did. */
export interface RunResult {
  readonly ok: number;
  readonly failures: string[];
  readonly stats: Array<Record<string, number>>;
}

/**
 * Starts `count` workers, lets them all go at once, waits until all are done, then
 * closes them all.
 */
export async function runWorkers(count: number, config: Record<string, unknown>): Promise<RunResult> {
  const workers = Array.from({ length: count }, () => startWorker(config));
  try {
    await Promise.all(workers.map(async (worker) => expectMessage(await worker.next(), 'ready')));
    for (const worker of workers) worker.send('go');
    const done = await Promise.all(workers.map((worker) => worker.next()));
    for (const worker of workers) worker.send('close');
    const closed = await Promise.all(workers.map((worker) => worker.next()));
    return {
      ok: done.reduce((sum, message) => sum + (message.ok as number), 0),
      failures: done.flatMap((message) => message.failures as string[]),
      stats: closed.map((message) => message.stats as Record<string, number>),
    };
  } finally {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  }
}

function expectMessage(message: Record<string, unknown>, key: string): void {
  if (!message[key]) throw new Error(`expected a "${key}" message, got ${JSON.stringify(message)}`);
}
