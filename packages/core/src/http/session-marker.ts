import { randomBytes } from 'node:crypto';

/**
 * The field of the session data where adapters keep the policy's marker
 * ({@link SessionMarker}).
 *
 * @public
 */
export const SESSION_MARKER = 'sessionPolicy';

/**
 * What a tracked session carries in its data: the principal key stored at login, and,
 * for session libraries without a server-side id (cookie sessions such as koa-session's
 * cookie mode or @hapi/cookie), an id of our own, issued at login.
 *
 * @public
 */
export interface SessionMarker {
  /** The principal key. */
  readonly key: string;
  /** Our own session id, for libraries that have none. */
  readonly id?: string;
}

/**
 * Reads the marker out of session data. Absent → `undefined` (an untracked session). A
 * marker of the wrong shape is still a marker, returned with empty strings so the check
 * refuses it as invalid: such a session claims to be tracked and must not pass as
 * anonymous.
 *
 * @param data - the session data (any value; session data is input).
 * @public
 */
export function readMarker(data: unknown): SessionMarker | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const marker = (data as Record<string, unknown>)[SESSION_MARKER];
  if (marker === undefined || marker === null) return undefined;
  if (typeof marker !== 'object') return { key: '', id: '' };
  const { key, id } = marker as Record<string, unknown>;
  return { key: typeof key === 'string' ? key : '', ...(id === undefined ? {} : { id: typeof id === 'string' ? id : '' }) };
}

/**
 * A new random session id (144 bits, base64url), for session libraries that have no
 * server-side id of their own.
 *
 * @public
 */
export function newSessionId(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * The principal key of the marker in session data, without making an object (the
 * per-request path): `undefined` for an untracked session, `''` for a marker of the wrong
 * shape (which the check then refuses, as {@link readMarker} does).
 *
 * @param data - the session data (any value).
 * @public
 */
export function markerKey(data: unknown): string | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const marker = (data as Record<string, unknown>)[SESSION_MARKER];
  if (marker === undefined || marker === null) return undefined;
  if (typeof marker !== 'object') return '';
  const key = (marker as Record<string, unknown>).key;
  return typeof key === 'string' ? key : '';
}

/**
 * Our own session id in the marker (cookie sessions), without making an object:
 * `undefined` when there is no marker or it has no id, `''` for an id of the wrong shape.
 *
 * @param data - the session data (any value).
 * @public
 */
export function markerId(data: unknown): string | undefined {
  if (data === null || typeof data !== 'object') return undefined;
  const marker = (data as Record<string, unknown>)[SESSION_MARKER];
  if (marker === undefined || marker === null) return undefined;
  if (typeof marker !== 'object') return '';
  const id = (marker as Record<string, unknown>).id;
  return id === undefined ? undefined : typeof id === 'string' ? id : '';
}
