/**
 * Retries `attempt` every `every` ms until it returns (or resolves to) true; a throw
 * counts as not yet. Rejects with `what` once `ms` have passed. For waiting on a fault's
 * recovery, a queue's delivery, a bus coming back: never assert on timing with it.
 */
export async function eventually(attempt: () => Promise<boolean> | boolean, ms = 20_000, every = 50, what = 'timed out waiting'): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await Promise.resolve().then(attempt).catch(() => false)) return;
    if (Date.now() > end) throw new Error(what);
    await new Promise((r) => setTimeout(r, every));
  }
}
