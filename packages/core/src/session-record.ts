import { END_REASONS, type EndReason, type SessionInfo } from './session.js';

/**
 * Checks that a value read from a store is a session record this library wrote, for the
 * given principal, and returns it as a fresh object with only the known fields; returns
 * a string saying what is wrong otherwise. Stores call it on everything they read:
 * values under our keys may be corrupt or foreign.
 *
 * @param value - what the store returned.
 * @param principalKey - the principal the record must belong to.
 * @public
 */
export function parseSessionRecord(value: unknown, principalKey: string): SessionInfo | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not an object';
  const v = value as Record<string, unknown>;
  if (typeof v.sessionId !== 'string' || v.sessionId.length === 0) return 'no sessionId';
  if (v.principalKey !== principalKey) return 'principalKey does not match its key';
  if (!isTime(v.createdAt) || !isTime(v.lastSeenAt)) return 'createdAt/lastSeenAt are not times';
  if (v.state !== 'active' && v.state !== 'ended') return 'unknown state';
  const record: { -readonly [K in keyof SessionInfo]: SessionInfo[K] } = {
    sessionId: v.sessionId,
    principalKey,
    createdAt: v.createdAt,
    lastSeenAt: v.lastSeenAt,
    state: v.state,
  };
  if (v.state === 'ended') {
    if (!isTime(v.endedAt)) return 'an ended session has no endedAt';
    if (!END_REASONS.includes(v.endReason as EndReason)) return 'an ended session has no valid endReason';
    record.endedAt = v.endedAt;
    record.endReason = v.endReason as EndReason;
  }
  for (const field of ['deviceId', 'userAgent', 'ip'] as const) {
    const f = v[field];
    if (f === undefined || f === null) continue;
    if (typeof f !== 'string') return `${field} is not a string`;
    record[field] = f;
  }
  if (v.attributes !== undefined && v.attributes !== null) {
    if (typeof v.attributes !== 'object' || Array.isArray(v.attributes)) return 'attributes is not an object';
    record.attributes = v.attributes as Record<string, unknown>;
  }
  return record;
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
