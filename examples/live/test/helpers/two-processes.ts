// Two server processes of the live example sharing one real redis-server: this one (in
// the test process) and a forked worker. A session ended on one closes the live
// connections the other holds, through the Redis store's revocation bus.
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { TestFn } from 'ava';
import { RedisSessionStore } from '@session-policy/redis';
import { startRedisServer, type RedisServer } from '@session-policy/test-helpers/redis-server';
import { startLiveExample, type LiveExampleOptions, type RunningLiveExample } from '../../src/app.js';
import { stopChild } from '@session-policy/test-helpers/run-worker';

export interface TwoProcesses {
  /** The example in the test's own process (its registry and live connections are inspectable). */
  readonly here: RunningLiveExample;
  /** The other process's base URL. */
  readonly there: string;
}

/**
 * Registers the file's hooks (one redis-server for the file, every process stopped after)
 * and returns the function that starts a pair.
 */
export function useTwoProcesses(test: TestFn): (maxSessions?: number, options?: LiveExampleOptions) => Promise<TwoProcesses> {
  let redis: RedisServer | undefined;
  const children: ChildProcess[] = [];
  const examples: RunningLiveExample[] = [];
  test.before(async () => {
    redis = await startRedisServer();
  });
  test.after.always(async () => {
    await Promise.all(examples.map((e) => e.close()));
    await Promise.all(children.map((child) => stopChild(child, 'stop')));
    await redis?.stop();
  });
  return async (maxSessions = 1, options = {}) => {
    const prefix = `live:${randomUUID()}:`;
    const here = await startLiveExample({ ...options, store: new RedisSessionStore(redis!.url, { prefix }), maxSessions });
    examples.push(here);
    const child = fork(new URL('./live-worker.ts', import.meta.url), [redis!.url, prefix, String(maxSessions)], {
      execArgv: ['--conditions=session-policy-source', '--import=tsx'],
    });
    children.push(child);
    const there = await new Promise<string>((resolve, reject) => {
      child.once('message', (m) => resolve((m as { url: string }).url));
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    });
    return { here, there };
  };
}

