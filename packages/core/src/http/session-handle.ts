import { createHash } from 'node:crypto';

const HANDLE_LENGTH = 22;
const HANDLE = /^[A-Za-z0-9_-]{22}$/;

/**
 * The public, opaque name of a session, shown on "your devices" pages and used to revoke
 * it. Never show a raw session id: whoever knows it can hijack the session. A handle is
 * a one-way digest (SHA-256, base64url, first 22 characters: 132 bits), so it reveals
 * nothing of the id and cannot be turned back into a cookie.
 *
 * @param sessionId - the session id.
 * @public
 */
export function sessionHandle(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64url').slice(0, HANDLE_LENGTH);
}

/**
 * Whether a value has the shape of a session handle (hostile input is refused before
 * any store round trip).
 *
 * @param value - the candidate handle.
 * @public
 */
export function isSessionHandle(value: unknown): value is string {
  return typeof value === 'string' && HANDLE.test(value);
}
