/**
 * The servers this process started and has not stopped yet, each with how to kill it.
 * When the process exits without stopping them — a test file or benchmark that throws,
 * or calls `process.exit` — the one `exit` handler kills them all, so no redis-server or
 * postgres outlives the process that started it. (A process killed with SIGKILL runs no
 * handler: nothing can reap then.)
 */
const live = new Set<() => void>();
let armed = false;

/**
 * Kills a started server when this process exits, unless it was stopped before.
 *
 * @param kill - kills the server at once (synchronous: an `exit` handler cannot wait).
 * @returns the function to call once the server has stopped (it is then left alone).
 */
export function reapOnExit(kill: () => void): () => void {
  live.add(kill);
  if (!armed) {
    armed = true;
    process.once('exit', () => {
      for (const k of live) {
        try {
          k();
        } catch {
          // already gone
        }
      }
    });
  }
  return () => void live.delete(kill);
}
