// Counts live interval timers with a given period, unref'd ones included (which
// process.getActiveResourcesInfo() leaves out), through async_hooks. Tests give the
// manager an unusual heartbeat period so that only its timers are counted, not those of
// other tests running at the same time or of node:http's sockets.
import { createHook } from 'node:async_hooks';

const alive = new Map<number, { _repeat?: number | null }>();
createHook({
  init(id, type, _trigger, resource) {
    if (type === 'Timeout') alive.set(id, resource as { _repeat?: number | null });
  },
  destroy(id) {
    alive.delete(id);
  },
}).enable();

/** The number of interval timers of this period alive now. */
export function liveIntervals(period: number): number {
  let n = 0;
  for (const timer of alive.values()) if (timer._repeat === period) n++;
  return n;
}

/** Lets pending destroy hooks run (they are emitted after the current tick). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
