import type { CheckResult, SessionRegistry } from '../registry.js';
import type { EndedReason } from './answers.js';

/**
 * What a check's result means for a request, the same for an HTTP request and an upgrade:
 * `'pass'` (an active session, or a store failure under fail-open), `'unavailable'` (a
 * store failure under fail-closed, or a registry shutting down: not a verdict on the
 * session), or why the session is over (refuse it; `unknown` for a session the registry
 * does not know or a malformed one).
 *
 * @param result - the registry's answer.
 */
export function checkVerdict(result: CheckResult): 'pass' | 'unavailable' | EndedReason {
  switch (result.status) {
    case 'active':
      return 'pass';
    case 'ended':
      return result.reason;
    case 'unavailable':
      return result.allow ? 'pass' : 'unavailable';
    case 'invalid':
      // A closed registry is a shutdown in progress, not a verdict on the session.
      return result.error.code === 'ERR_CLOSED' ? 'unavailable' : 'unknown';
    default:
      return 'unknown';
  }
}

/**
 * Reports an error that must not fail the request through the registry's `error` event,
 * if anyone listens.
 *
 * @param registry - the registry.
 * @param error - what went wrong.
 */
export function reportError(registry: SessionRegistry, error: unknown): void {
  if (registry.listenerCount('error') > 0) registry.emit('error', error instanceof Error ? error : new Error(String(error)));
}
