import { type SessionInfo } from '@session-policy/core';
import { parseSessionRecord } from '@session-policy/core/store';

/** The columns of a session row, as every read of the store selects them. */
export const SESSION_COLUMNS = 'principal_key, session_id, created_at, last_seen_at, details';
/** The columns of a tombstone row. */
export const TOMBSTONE_COLUMNS = `${SESSION_COLUMNS}, ended_at, end_reason`;

/** A session or tombstone row as `pg` returns it (`BIGINT` as text). */
export interface SessionRow {
  readonly principal_key: string;
  readonly session_id: string;
  readonly created_at: string;
  readonly last_seen_at: string;
  readonly details: string;
  readonly ended_at?: string | null;
  readonly end_reason?: string | null;
}

/** What the `details` column holds: the parts of a session that never change. */
interface Details {
  readonly deviceId?: string;
  readonly userAgent?: string;
  readonly ip?: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/**
 * The `details` JSON of a session. R15: an empty `deviceId` is no device, stored as
 * absent.
 *
 * @param session - any session.
 */
export function encodeDetails(session: SessionInfo): string {
  const { deviceId, userAgent, ip, attributes } = session;
  const details: Details = { ...(deviceId ? { deviceId } : {}), ...(userAgent !== undefined ? { userAgent } : {}), ...(ip !== undefined ? { ip } : {}), ...(attributes !== undefined ? { attributes } : {}) };
  return JSON.stringify(details);
}

/**
 * Reads a row into a session, checking it like every store must (R18: rows in our tables
 * may be corrupt or foreign). Returns what is wrong as a string otherwise.
 *
 * @param row - the row.
 * @param principalKey - the principal the row must belong to.
 */
export function decodeRow(row: SessionRow, principalKey: string): SessionInfo | string {
  let details: unknown;
  try {
    details = JSON.parse(row.details);
  } catch {
    return 'unreadable details JSON';
  }
  if (details === null || typeof details !== 'object' || Array.isArray(details)) return 'details is not an object';
  const { deviceId, userAgent, ip, attributes } = details as Record<string, unknown>;
  const fields: Record<string, unknown> = {
    sessionId: row.session_id,
    principalKey: row.principal_key,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    state: row.ended_at === undefined || row.ended_at === null ? 'active' : 'ended',
    deviceId: deviceId === '' ? undefined : deviceId,
    userAgent,
    ip,
    attributes,
  };
  if (fields.state === 'ended') {
    fields.endedAt = Number(row.ended_at);
    fields.endReason = row.end_reason;
  }
  return parseSessionRecord(fields, principalKey);
}
