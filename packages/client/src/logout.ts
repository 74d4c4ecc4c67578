import { UpstreamTimeoutError } from './errors.js';
import type { SessionStrategy } from './strategy.js';

/**
 * Logs a session out through the strategy, giving up after `timeout` milliseconds (the
 * strategy's signal aborts then; a strategy that ignores it is left behind).
 *
 * @throws whatever the strategy's `logout` threw, or {@link UpstreamTimeoutError}.
 */
export async function logoutWithin<P, S>(strategy: SessionStrategy<P, S>, session: S, principal: P, timeout: number): Promise<void> {
  if (!strategy.logout) return;
  const limit = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    if (timeout === Infinity) return;
    timer = setTimeout(() => {
      const error = new UpstreamTimeoutError('logout', timeout);
      limit.abort(error);
      reject(error);
    }, timeout);
  });
  try {
    await Promise.race([Promise.resolve().then(() => strategy.logout!(session, principal, { signal: limit.signal })), expired]);
  } finally {
    clearTimeout(timer);
  }
}
