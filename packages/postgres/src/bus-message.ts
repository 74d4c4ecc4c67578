import { type SessionInfo } from '@session-policy/core';
import { parseSessionRecord } from '@session-policy/core/store';
import { digest } from './schema.js';

/** `NOTIFY` payloads must stay under 8000 bytes; keep a margin. */
export const MAX_PAYLOAD = 7900;

/** A session too big for a payload, named by reference (its tombstone's key). */
export interface SessionRef {
  /** The hex SHA-256 of the principal key. */
  readonly principalHash: string;
  /** The session id. */
  readonly sessionId: string;
}

/** A decoded bus message. */
export type BusMessage =
  | { readonly kind: 'probe'; readonly origin: string; readonly token: string }
  | { readonly kind: 'ended'; readonly origin: string; readonly sessions: readonly SessionInfo[]; readonly refs: readonly SessionRef[] };

/**
 * Encodes ended sessions into as few payloads as fit: `<origin>\n<JSON array of
 * sessions>`. A session that does not fit a payload alone (a 10 kB principal key, big
 * attributes) goes by reference, `<origin>\nref\n<JSON array of [principal hash,
 * session id]>`, and receivers read it from the tombstones table.
 *
 * @param origin - the publishing process's id.
 * @param sessions - the ended sessions.
 */
export function encodeEnded(origin: string, sessions: readonly SessionInfo[]): string[] {
  const messages: string[] = [];
  const budget = MAX_PAYLOAD - Buffer.byteLength(origin) - 8;
  let batch: string[] = [];
  let size = 2;
  const refs: string[] = [];
  let refSize = 2;
  const flush = (): void => {
    if (batch.length > 0) messages.push(`${origin}\n[${batch.join(',')}]`);
    batch = [];
    size = 2;
  };
  const flushRefs = (): void => {
    if (refs.length > 0) messages.push(`${origin}\nref\n[${refs.join(',')}]`);
    refs.length = 0;
    refSize = 2;
  };
  for (const session of sessions) {
    const json = JSON.stringify(session);
    const bytes = Buffer.byteLength(json) + 1;
    if (bytes > budget) {
      const ref = JSON.stringify([digest(session.principalKey).toString('hex'), session.sessionId]);
      const refBytes = Buffer.byteLength(ref) + 1;
      if (refSize + refBytes > budget) flushRefs();
      refs.push(ref);
      refSize += refBytes;
      continue;
    }
    if (size + bytes > budget) flush();
    batch.push(json);
    size += bytes;
  }
  flush();
  flushRefs();
  return messages;
}

/**
 * The probe payload.
 *
 * @param origin - the probing process's id.
 * @param token - the probe's token.
 */
export function encodeProbe(origin: string, token: string): string {
  return `probe:${origin}\n${token}`;
}

/**
 * Decodes a payload; returns what is wrong as a string for one we cannot read.
 *
 * @param payload - the `NOTIFY` payload.
 */
export function decodeMessage(payload: string): BusMessage | string {
  const newline = payload.indexOf('\n');
  if (newline < 0) return 'no origin';
  const origin = payload.slice(0, newline);
  const body = payload.slice(newline + 1);
  if (origin.startsWith('probe:')) return { kind: 'probe', origin: origin.slice(6), token: body };
  const isRef = body.startsWith('ref\n');
  let parsed: unknown;
  try {
    parsed = JSON.parse(isRef ? body.slice(4) : body);
  } catch {
    return 'unreadable JSON';
  }
  if (!Array.isArray(parsed)) return 'not a list';
  if (isRef) {
    const refs: SessionRef[] = [];
    for (const item of parsed) {
      if (!Array.isArray(item) || typeof item[0] !== 'string' || typeof item[1] !== 'string') return 'not a session reference';
      refs.push({ principalHash: item[0], sessionId: item[1] });
    }
    return { kind: 'ended', origin, sessions: [], refs };
  }
  const sessions: SessionInfo[] = [];
  for (const item of parsed) {
    const owner = (item as { principalKey?: unknown } | null)?.principalKey;
    if (typeof owner !== 'string') return 'no principalKey';
    const session = parseSessionRecord(item, owner);
    if (typeof session === 'string') return session;
    sessions.push(session);
  }
  return { kind: 'ended', origin, sessions, refs: [] };
}
