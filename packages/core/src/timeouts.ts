import type { EndReason, SessionInfo } from './session.js';

/**
 * The timing rules a store applies inside its atomic operations. Every duration is in
 * milliseconds; `Infinity` turns a timeout off.
 *
 * @public
 */
export interface Timeouts {
  /** A session not seen for this long is ended with reason `idle`. */
  readonly idle: number;
  /** A session this old is ended with reason `absolute`. */
  readonly absolute: number;
  /** How long an ended session is remembered (so the device can be told why), then forgotten. */
  readonly retention: number;
  /**
   * The most ended sessions remembered per principal, exactly (R14); past it the oldest
   * are forgotten early, so repeated logins cannot grow a principal's record without bound.
   */
  readonly maxTombstones: number;
}

/**
 * The time at which an active session expires under the given timeouts (`Infinity` when
 * it never does).
 *
 * @param session - an active session.
 * @param timeouts - the timeouts in force.
 * @public
 */
export function expiresAt(session: SessionInfo, timeouts: Timeouts): number {
  return Math.min(session.lastSeenAt + timeouts.idle, session.createdAt + timeouts.absolute);
}

/**
 * Why an active session has expired at `now`, or `undefined` while it is still live. The
 * absolute timeout wins when both have passed.
 *
 * @param session - an active session.
 * @param timeouts - the timeouts in force.
 * @param now - the current time.
 * @public
 */
export function expiryReason(session: SessionInfo, timeouts: Timeouts, now: number): EndReason | undefined {
  // R7: absolute wins when both have passed.
  if (now >= session.createdAt + timeouts.absolute) return 'absolute';
  if (now >= session.lastSeenAt + timeouts.idle) return 'idle';
  return undefined;
}

/**
 * The time after which nothing needs to be kept of this session: for a tombstone, its end
 * plus the retention; for an active session, its expiry plus the retention.
 *
 * @param session - any session.
 * @param timeouts - the timeouts in force.
 * @public
 */
export function forgetAt(session: SessionInfo, timeouts: Timeouts): number {
  // R13: a tombstone is kept while now < endedAt + retention.
  const end = session.state === 'ended' ? (session.endedAt ?? 0) : expiresAt(session, timeouts);
  return end + timeouts.retention;
}
