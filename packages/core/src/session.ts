import { sessionRecord } from './record-shape.js';

/**
 * Why a session ended.
 *
 * - `evicted`: another login of the same principal took its slot.
 * - `replaced`: a new login from the same device took its place.
 * - `idle`: not seen for longer than the idle timeout.
 * - `absolute`: older than the absolute timeout.
 * - `logout`: the user logged out (this session, or everywhere).
 * - `revoked`: ended by the user from another session ("your devices") or by an admin.
 *
 * @public
 */
export type EndReason = 'evicted' | 'replaced' | 'idle' | 'absolute' | 'logout' | 'revoked';

/** Every {@link EndReason}, in a stable order. @public */
export const END_REASONS: readonly EndReason[] = Object.freeze([
  'evicted',
  'replaced',
  'idle',
  'absolute',
  'logout',
  'revoked',
]);

/**
 * What the registry knows of one session. Times are milliseconds since the epoch, read
 * from the registry's clock. Records are plain data (they go through stores as JSON) and
 * are never mutated once handed out.
 *
 * @public
 */
export interface SessionInfo {
  /** The session's id, as the session mechanism knows it (cookie session id, JWT `jti`, …). */
  readonly sessionId: string;
  /** The canonical key of the principal that owns the session. */
  readonly principalKey: string;
  /** When the session was admitted. */
  readonly createdAt: number;
  /**
   * When the session was last seen (the store's value: written behind, at most
   * `touchInterval` late; the embedded store's, about a second; rule R11).
   */
  readonly lastSeenAt: number;
  /** A stable id of the device or browser, given by the application at login (`''` means none: R15). */
  readonly deviceId?: string;
  /** The user agent at login (cut to 512 characters: R17). */
  readonly userAgent?: string;
  /** The client address at login. */
  readonly ip?: string;
  /** Free application data, stored with the session (keep it small and JSON-safe). */
  readonly attributes?: Readonly<Record<string, unknown>>;
  /** `active`, or `ended` (a tombstone kept for `tombstoneRetention` so the device can learn why). */
  readonly state: 'active' | 'ended';
  /** When the session ended (ended sessions only). */
  readonly endedAt?: number;
  /** Why the session ended (ended sessions only). */
  readonly endReason?: EndReason;
}

/**
 * The data an application gives about a new session at login.
 *
 * @public
 */
export interface NewSession {
  /** The principal (a user object, an id, an email…), turned into a key by the registry. */
  readonly principal: unknown;
  /** The session id; a fresh one (rotate it at login). */
  readonly sessionId: string;
  /** A stable id of the device or browser (see the same-device-first policy). */
  readonly deviceId?: string;
  /** The user agent, shown on a "your devices" page. */
  readonly userAgent?: string;
  /** The client address, shown on a "your devices" page. */
  readonly ip?: string;
  /** Free application data, stored with the session. */
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/**
 * Returns a copy of an active session marked as ended.
 *
 * @param session - the active session.
 * @param reason - why it ends.
 * @param now - the time it ends.
 * @public
 */
export function endedSession(session: SessionInfo, reason: EndReason, now: number): SessionInfo {
  return sessionRecord({ ...session, state: 'ended', endedAt: now, endReason: reason });
}
