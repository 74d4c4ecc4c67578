import type { EndReason } from '../session.js';

/**
 * A framework-free HTTP answer: adapters write it with their framework's idiom.
 *
 * @public
 */
export interface HttpAnswer {
  /** The status code. */
  readonly status: number;
  /** Response headers (lower-case names). */
  readonly headers: Readonly<Record<string, string>>;
  /** The body (empty for redirects). */
  readonly body: string;
}

/**
 * Why a request's session is over: an {@link EndReason}, or `unknown` when the session
 * claims to be tracked but the registry does not know it (forgotten after retention,
 * dropped by a bounded store, or a marker that is not ours).
 *
 * @public
 */
export type EndedReason = EndReason | 'unknown';

const NO_STORE = 'no-store';
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The default answer to a request of an ended session: HTML clients are sent (303) to
 * `redirectTo` with `ended=<reason>` added to its query; API clients get 401 with
 * `{ "error": "session_ended", "reason": … }`.
 *
 * @param reason - why the session ended.
 * @param html - whether the client wants HTML (see {@link prefersHtml}).
 * @param redirectTo - where HTML clients go.
 * @public
 */
export function endedAnswer(reason: EndedReason, html: boolean, redirectTo: string): HttpAnswer {
  if (html) {
    const location = `${redirectTo}${redirectTo.includes('?') ? '&' : '?'}ended=${encodeURIComponent(reason)}`;
    return { status: 303, headers: { location, 'cache-control': NO_STORE }, body: '' };
  }
  return json(401, { error: 'session_ended', reason });
}

/**
 * The answer when the store fails during a check and the policy fails closed: 503 with
 * `{ "error": "session_store_unavailable" }` (or a short HTML page), and `retry-after`.
 *
 * @param html - whether the client wants HTML.
 * @public
 */
export function storeUnavailableAnswer(html: boolean): HttpAnswer {
  const headers = { 'retry-after': '5', 'cache-control': NO_STORE };
  if (html) {
    const body = '<!doctype html><title>Unavailable</title><p>Sessions cannot be checked right now. Please try again in a moment.</p>';
    return { status: 503, headers: { ...headers, 'content-type': 'text/html; charset=utf-8' }, body };
  }
  return { status: 503, headers: { ...headers, 'content-type': JSON_TYPE }, body: JSON.stringify({ error: 'session_store_unavailable' }) };
}

/**
 * The answer to a request that needs a session and has none (a stream route opened
 * while signed out): 401 with `{ "error": "not_logged_in" }`.
 *
 * @public
 */
export function noSessionAnswer(): HttpAnswer {
  return json(401, { error: 'not_logged_in' });
}

function json(status: number, value: unknown): HttpAnswer {
  return { status, headers: { 'content-type': JSON_TYPE, 'cache-control': NO_STORE }, body: JSON.stringify(value) };
}
