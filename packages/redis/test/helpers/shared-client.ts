import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { SessionRegistry } from '@session-policy/core';
import { RedisSessionStore, type AnyRedisClient, type AnyRedisCluster } from '@session-policy/redis';

/** How many listeners an emitter has per event name (events with none are left out). */
export function listenerCounts(emitter: EventEmitter): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of emitter.eventNames()) {
    const n = emitter.listenerCount(name);
    if (n > 0) counts[String(name)] = n;
  }
  return counts;
}

/** What {@link cycleStores} saw while the stores were open. */
export interface CycleReport {
  /** The client's listener counts with every store open and its bus live. */
  readonly whileOpen: Record<string, number>;
  /** Whether every store's bus proved itself live (a probe came back) before closing. */
  readonly allLive: boolean;
}

/**
 * Builds `count` stores (and registries) over one client the caller owns, uses each one
 * (a login and a check), waits until every store's revocation bus is live (it subscribed
 * and heard its own probe), then closes them all.
 *
 * @param client - the shared client (connected by the caller).
 * @param count - how many stores.
 */
export async function cycleStores(client: AnyRedisClient | AnyRedisCluster, count: number): Promise<CycleReport> {
  const prefix = `shared:${randomUUID()}:`;
  const stores = Array.from({ length: count }, () => new RedisSessionStore(client, { prefix, commandTimeout: 10_000 }));
  const registries = stores.map((store) => new SessionRegistry({ store, maxSessions: 2 }));
  for (const registry of registries) registry.on('error', () => undefined);
  try {
    await Promise.all(
      registries.map(async (registry, i) => {
        const admitted = await registry.admit({ principal: `u${i}`, sessionId: `s${i}` });
        if (!admitted.admitted) throw new Error(`store ${i} refused the login: ${admitted.code}`);
        const check = await registry.check(`s${i}`, `u${i}`);
        if (check.status !== 'active') throw new Error(`store ${i} answered ${check.status}`);
      }),
    );
    const until = Date.now() + 30_000;
    while (!stores.every((s) => s.nearCacheActive) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    return { whileOpen: listenerCounts(client as unknown as EventEmitter), allLive: stores.every((s) => s.nearCacheActive) };
  } finally {
    await Promise.all(registries.map((r) => r.close()));
  }
}

/** What a {@link runSharedClientChild} child reported. */
export interface ChildReport {
  /** Its exit code (`null` if it had to be killed). */
  readonly code: number | null;
  /** Its messages: `'closed'` once every store is closed, or what kept it alive. */
  readonly messages: unknown[];
}

/**
 * Runs `shared-client-worker.ts` in a child process: it builds and closes 20 stores over
 * one client it owns, destroys that client and returns. If anything is still alive one
 * second after that, the child reports what (`{ alive: [...] }`) and exits with code 3.
 * A child still running after `killAfter` ms is killed (`code: null`).
 *
 * @param mode - `single` (args: a URL) or `cluster` (args: root node URLs).
 * @param urls - where Redis is.
 * @param killAfter - the safety net, in milliseconds.
 */
export function runSharedClientChild(mode: 'single' | 'cluster', urls: readonly string[], killAfter = 120_000): Promise<ChildReport> {
  const worker = new URL('./shared-client-worker.ts', import.meta.url);
  const child = fork(worker, [mode, ...urls], { execArgv: ['--conditions=session-policy-source', '--import=tsx'] });
  return new Promise((resolve, reject) => {
    const messages: unknown[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfter);
    child.on('message', (m) => messages.push(m));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, messages });
    });
  });
}
