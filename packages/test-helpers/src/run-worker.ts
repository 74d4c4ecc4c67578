import { fork, type ChildProcess } from 'node:child_process';

/** How a worker run by {@link runWorker} ended. */
export interface WorkerExit {
  /** Its exit code (`null` when a signal ended it, such as the safety net's `SIGKILL`). */
  readonly code: number | null;
  /** The last message it sent (`undefined`: none). */
  readonly message: unknown;
}

/**
 * Forks `worker` (a TypeScript file, run from source as the tests are) with `args` and
 * resolves once it exits, with its exit code and the last message it sent. A worker still
 * running after 90 s is killed: only a safety net (a stuck worker fails its test either
 * way), generous for a loaded machine, where starting a child with tsx alone can take
 * seconds. The test asserts on what it resolves to.
 *
 * @param worker - the worker file.
 * @param args - its command-line arguments.
 */
export function runWorker(worker: URL, args: readonly string[]): Promise<WorkerExit> {
  const child = fork(worker, [...args], { execArgv: ['--conditions=session-policy-source', '--import=tsx'] });
  return new Promise((resolve) => {
    let message: unknown;
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('message', (m) => (message = m));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, message });
    });
  });
}

/**
 * Asks a child to stop (sends `message` over IPC) and resolves once it has exited; kills
 * it with `SIGKILL` if it has not within 5 s. Resolves at once for a child already gone.
 *
 * @param child - the child, forked with an IPC channel.
 * @param message - what the child takes as "close your stores and exit".
 */
export function stopChild(child: ChildProcess, message: string): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send(message);
  });
}
