import { sleep } from './abortable.js';
import { UpstreamLoginError, UpstreamTimeoutError, UpstreamUnavailableError } from './errors.js';
import type { LoginFailedEvent } from './events.js';
import { backoffDelay, type ResolvedRetry } from './retry.js';
import type { Counters } from './stats.js';
import type { SessionStrategy } from './strategy.js';

/** One login to make, with what it needs to retry, time out, count and report. */
export interface LoginJob<P, S> {
  readonly strategy: SessionStrategy<P, S>;
  readonly principal: P;
  readonly key: string;
  readonly renewal: boolean;
  readonly retry: ResolvedRetry;
  /** How long one attempt may take, in milliseconds (`Infinity`: no limit). */
  readonly timeout: number;
  /** Aborts the attempt in flight at once (the close bound); no attempt follows. */
  readonly signal: AbortSignal;
  /** Whether to stop before the next attempt (the keeper or pool closed). */
  readonly stopped: () => unknown;
  /** The error to stop with. */
  readonly stopError: () => Error;
  readonly counters: Counters;
  readonly onFailed: (event: LoginFailedEvent) => void;
  /** A session that arrived after its attempt was given up (timeout, abort): log it out. */
  readonly onOrphan: (session: S) => void;
  /** The number of the first attempt (2 when one failed already elsewhere). Default 1. */
  readonly firstAttempt?: number;
}

/** Whether a login failure means the credentials were refused (never retried). */
export function isRefused(error: unknown): boolean {
  return error instanceof UpstreamLoginError || (error as { code?: unknown } | null)?.code === 'ERR_UPSTREAM_LOGIN_FAILED';
}

/**
 * Logs in, retrying passing failures (a timed-out attempt is one) with backoff, up to
 * `retry.attempts` attempts in a row. Refused credentials end it at once; so do the
 * signal and `stopped()`.
 */
export async function loginWithRetry<P, S>(job: LoginJob<P, S>): Promise<{ session: S; attempts: number }> {
  const { key, retry, signal, counters } = job;
  for (let attempt = job.firstAttempt ?? 1; ; attempt++) {
    signal.throwIfAborted();
    if (job.stopped()) throw job.stopError();
    counters.logins++;
    try {
      const session = await attemptLogin(job, attempt);
      return { session, attempts: attempt };
    } catch (error) {
      counters.failures++;
      const refused = isRefused(error);
      const willRetry = !refused && !signal.aborted && !job.stopped() && attempt < retry.attempts;
      job.onFailed({ key, attempt, error, willRetry });
      if (refused) throw error;
      signal.throwIfAborted();
      if (job.stopped()) throw job.stopError();
      if (!willRetry) throw new UpstreamUnavailableError(key, attempt, error);
      await sleep(backoffDelay(retry, attempt), signal);
    }
  }
}

/**
 * One attempt, bounded by the timeout and the signal even when the strategy ignores its
 * signal; a session that still arrives afterwards goes to `onOrphan`.
 */
async function attemptLogin<P, S>(job: LoginJob<P, S>, attempt: number): Promise<S> {
  const { strategy, principal, renewal, timeout } = job;
  const limit = new AbortController();
  const signal = AbortSignal.any([job.signal, limit.signal]);
  const login = Promise.resolve().then(() => strategy.login(principal, { signal, attempt, renewal }));
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const given = new Promise<never>((_, reject) => {
    if (timeout !== Infinity) {
      timer = setTimeout(() => {
        const error = new UpstreamTimeoutError('login', timeout);
        limit.abort(error);
        reject(error);
      }, timeout);
    }
    onAbort = () => reject(job.signal.reason);
    job.signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([login, given]);
  } catch (error) {
    if (limit.signal.aborted || job.signal.aborted) login.then(job.onOrphan, () => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
    if (onAbort) job.signal.removeEventListener('abort', onAbort);
  }
}
