import type { SessionInfo } from '../session.js';
import { sessionHandle } from './session-handle.js';

/**
 * A session as shown to its owner ("your devices"): everything but the raw session id,
 * which is replaced by its handle (a one-way digest of the id, 22 base64url characters).
 *
 * @public
 */
export interface SessionView {
  /** The opaque public id of the session; revoke with it. */
  readonly handle: string;
  /** The device id given at login. */
  readonly deviceId?: string;
  /** The user agent at login. */
  readonly userAgent?: string;
  /** The client address at login. */
  readonly ip?: string;
  /** When the session was admitted (milliseconds since the epoch). */
  readonly createdAt: number;
  /** When the session was last seen. */
  readonly lastSeenAt: number;
  /** Whether this is the session of the request asking. */
  readonly current: boolean;
}

/**
 * The view of a session for its owner.
 *
 * @param session - the session.
 * @param currentId - the session id of the request asking, if any.
 * @public
 */
export function toSessionView(session: SessionInfo, currentId?: string): SessionView {
  return {
    handle: sessionHandle(session.sessionId),
    ...(session.deviceId === undefined ? {} : { deviceId: session.deviceId }),
    ...(session.userAgent === undefined ? {} : { userAgent: session.userAgent }),
    ...(session.ip === undefined ? {} : { ip: session.ip }),
    createdAt: session.createdAt,
    lastSeenAt: session.lastSeenAt,
    current: session.sessionId === currentId,
  };
}
