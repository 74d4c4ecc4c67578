// What the Express-based examples answer for an error that reached their error handler.
import { SessionPolicyError } from '@session-policy/core';

/** An answer for the error handler to send. */
export interface ErrorAnswer {
  readonly status: number;
  readonly body: { readonly error: string };
}

/**
 * The answer to an error: 503 when the session store failed or closed, 400 for bad input,
 * the body parser's own status for a body it refused (413 too large, 415 unsupported
 * charset or encoding, 400 malformed) — nothing crashed in any of those — and `undefined`
 * for anything else (log it and answer 500).
 */
export function errorAnswer(error: unknown): ErrorAnswer | undefined {
  const code = error instanceof SessionPolicyError ? error.code : undefined;
  if (code === 'ERR_STORE' || code === 'ERR_CLOSED') return { status: 503, body: { error: 'session_store_unavailable' } };
  if (code?.startsWith('ERR_INVALID')) return { status: 400, body: { error: 'bad_request' } };
  const parser = error as { status?: unknown; expose?: unknown; type?: unknown };
  if (typeof parser.status === 'number' && parser.status >= 400 && parser.status < 500 && parser.expose === true) {
    return { status: parser.status, body: { error: typeof parser.type === 'string' ? parser.type : 'bad_request' } };
  }
  return undefined;
}
