import { sleep } from './abortable.js';
import { UpstreamLoginError, UpstreamUnavailableError } from './errors.js';
import type { LoginFailedEvent } from './events.js';
import { backoffDelay, type ResolvedRetry } from './retry.js';
import type { Counters } from './stats.js';
import type { SessionStrategy } from './strategy.js';

/** One login to make, with what it needs to retry, count and report. */
export interface LoginJob<P, S> {
  readonly strategy: SessionStrategy<P, S>;
  readonly principal: P;
  readonly key: string;
  readonly renewal: boolean;
  readonly retry: ResolvedRetry;
  /** Aborts the login (between attempts, and inside the strategy if it honours it). */
  readonly signal: AbortSignal;
  readonly counters: Counters;
  readonly onFailed: (event: LoginFailedEvent) => void;
}

/** Whether a login failure means the credentials were refused (never retried). */
export function isRefused(error: unknown): boolean {
  return error instanceof UpstreamLoginError || (error as { code?: unknown } | null)?.code === 'ERR_UPSTREAM_LOGIN_FAILED';
}

/**
 * Logs in, retrying passing failures with backoff up to `retry.attempts` attempts in a
 * row. Refused credentials end it at once; so does the signal.
 */
export async function loginWithRetry<P, S>(job: LoginJob<P, S>): Promise<{ session: S; attempts: number }> {
  const { strategy, principal, key, renewal, retry, signal, counters } = job;
  for (let attempt = 1; ; attempt++) {
    signal.throwIfAborted();
    counters.logins++;
    try {
      const session = await strategy.login(principal, { signal, attempt, renewal });
      return { session, attempts: attempt };
    } catch (error) {
      counters.failures++;
      const refused = isRefused(error);
      const willRetry = !refused && !signal.aborted && attempt < retry.attempts;
      job.onFailed({ key, attempt, error, willRetry });
      if (refused) throw error;
      signal.throwIfAborted();
      if (!willRetry) throw new UpstreamUnavailableError(key, attempt, error);
      await sleep(backoffDelay(retry, attempt), signal);
    }
  }
}
