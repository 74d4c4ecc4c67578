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
 * In the session data it is stored compactly ({@link markerValue}), because the session
 * library parses, hashes, signs or seals it on every request: the key alone as a string
 * (`"alice"`) when the library has its own id, else `[id, key]`. The object form
 * `{ key, id? }` of earlier versions is still read.
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
 * The value to store under {@link SESSION_MARKER} in the session data: the key as a string
 * when there is no id of ours, else the pair `[id, key]`.
 *
 * @param marker - the marker.
 * @public
 */
export function markerValue(marker: SessionMarker): string | readonly [string, string] {
  return marker.id === undefined ? marker.key : [marker.id, marker.key];
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
  const key = markerKey(data);
  if (key === undefined) return undefined;
  const id = markerId(data);
  return id === undefined ? { key } : { key, id };
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

// The marker's forms: `key`; `[id, key]`; `{ key, id? }` (earlier versions). Read
// without making an object or a string: the per-request path.
function markerOf(data: unknown): unknown {
  if (data === null || typeof data !== 'object') return undefined;
  const marker = (data as Record<string, unknown>)[SESSION_MARKER];
  return marker === null ? undefined : marker;
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
  const marker = markerOf(data);
  if (marker === undefined || typeof marker === 'string') return marker;
  if (typeof marker !== 'object') return '';
  const key = Array.isArray(marker) ? (marker.length === 2 ? marker[1] : undefined) : (marker as Record<string, unknown>).key;
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
  const marker = markerOf(data);
  if (marker === undefined || typeof marker === 'string') return undefined;
  if (typeof marker !== 'object') return '';
  if (Array.isArray(marker)) return marker.length === 2 && typeof marker[0] === 'string' ? marker[0] : '';
  const id = (marker as Record<string, unknown>).id;
  return id === undefined ? undefined : typeof id === 'string' ? id : '';
}
