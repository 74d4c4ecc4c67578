import { type SessionInfo } from '@session-policy/core';
import { parseSessionRecord } from '@session-policy/core/store';

/**
 * How a session is stored in its principal's hashes, as the Lua scripts read and write it:
 * `<a|e>|<lastSeenAt>|<createdAt>|<endedAt>|<endReason>|<device>|<json>`. The header holds
 * what scripts compare and change (`<device>` is the URI-encoded device id, `''` for
 * none, so it never holds `|`); the JSON holds what never changes (id, principal, device
 * data, attributes), so scripts never re-encode application data.
 */

const HEADER = /^([ae])\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|(.+)$/s;

/**
 * The device id as the scripts compare it: URI-encoded, `''` for none (an empty
 * `deviceId` is no device).
 *
 * @param deviceId - the session's device id.
 */
export function encodeDevice(deviceId: string | undefined): string {
  return deviceId ? encodeURIComponent(deviceId) : '';
}

/**
 * Encodes a session for storage.
 *
 * @param session - the session (active or ended).
 */
export function encodeRecord(session: SessionInfo): string {
  const { sessionId, principalKey, deviceId, userAgent, ip, attributes } = session;
  const json = JSON.stringify({ sessionId, principalKey, deviceId, userAgent, ip, attributes });
  const ended = session.state === 'ended';
  return `${ended ? 'e' : 'a'}|${session.lastSeenAt}|${session.createdAt}|${ended ? String(session.endedAt) : ''}|${ended ? (session.endReason ?? '') : ''}|${encodeDevice(deviceId)}|${json}`;
}

/**
 * Decodes a stored value into a session, checking it like every store must (values
 * under our keys may be corrupt or foreign). Returns what is wrong as a string otherwise.
 *
 * @param value - the stored value.
 * @param principalKey - the principal the record must belong to; when omitted (bus
 *   messages), the record's own.
 */
export function decodeRecord(value: unknown, principalKey?: string): SessionInfo | string {
  if (typeof value !== 'string') return 'not a string';
  const m = HEADER.exec(value);
  if (!m) return 'not a session record';
  const [, state, lastSeenAt, createdAt, endedAt, endReason, , json] = m as unknown as [string, string, string, string, string, string, string, string];
  let body: unknown;
  try {
    body = JSON.parse(json);
  } catch {
    return 'unreadable JSON';
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'not an object';
  const fields: Record<string, unknown> = {
    ...(body as Record<string, unknown>),
    state: state === 'a' ? 'active' : 'ended',
    lastSeenAt: time(lastSeenAt),
    createdAt: time(createdAt),
  };
  if (state === 'e') {
    fields.endedAt = time(endedAt);
    fields.endReason = endReason;
  }
  const owner = principalKey ?? (body as { principalKey?: unknown }).principalKey;
  if (typeof owner !== 'string') return 'no principalKey';
  return parseSessionRecord(fields, owner);
}

function time(text: string): number {
  return text === '' ? Number.NaN : Number(text);
}
