import type { EvictionContext } from './eviction-policy.js';
import { sessionRecord } from './record-shape.js';
import { endedSession, type EndReason, type SessionInfo } from './session.js';
import type { AdmitOutcome, AdmitRequest, EndOutcome } from './store.js';
import { expiryReason, forgetAt, type Timeouts } from './timeouts.js';

/**
 * The pure state transitions of one principal's sessions, shared by every store that
 * runs its logic in JavaScript (the Keyv store, and the Redis store's fallback for
 * custom policies). Each function takes the principal's current records and returns the
 * records to write back; nothing is mutated.
 */

/** Records after expiring due sessions and forgetting tombstones past retention. */
export interface Refreshed {
  /** The records to keep. */
  readonly records: SessionInfo[];
  /** Sessions that expired now. */
  readonly expired: SessionInfo[];
  /** Whether anything changed (the records must be written back). */
  readonly changed: boolean;
}

/**
 * Ends the sessions whose timeouts have passed (R7, R8), drops tombstones past retention
 * (R13) and trims tombstones to `maxTombstones` (R14).
 *
 * @param records - a principal's records.
 * @param timeouts - the timeouts in force.
 * @param now - the current time.
 * @param trim - whether to apply R14 too. Default `true`; an admission applies it after R3.
 */
export function refresh(records: readonly SessionInfo[], timeouts: Timeouts, now: number, trim = true): Refreshed {
  const kept: SessionInfo[] = [];
  const expired: SessionInfo[] = [];
  let changed = false;
  for (const record of records) {
    let current = record;
    if (current.state === 'active') {
      // R7: absolute wins over idle; endedAt = now.
      const reason = expiryReason(current, timeouts, now);
      if (reason) {
        current = endedSession(current, reason, now);
        expired.push(current);
        changed = true;
      }
    }
    // R13: a tombstone is forgotten once its retention has passed.
    if (current.state === 'ended' && now >= forgetAt(current, timeouts)) {
      changed = true;
      continue;
    }
    kept.push(current);
  }
  const trimmed = trim ? trimTombstones(kept, timeouts.maxTombstones) : kept;
  return { records: trimmed, expired, changed: changed || trimmed !== kept };
}

/**
 * R14: keeps at most `max` tombstones, dropping the oldest first by `endedAt`, then
 * `createdAt`, then `sessionId`. Returns `records` itself when nothing is dropped.
 *
 * @param records - a principal's records.
 * @param max - the most tombstones to keep.
 */
export function trimTombstones(records: SessionInfo[], max: number): SessionInfo[] {
  let tombstones = 0;
  for (const r of records) if (r.state === 'ended') tombstones++;
  if (tombstones <= max) return records;
  const drop = new Set(
    records
      .filter((r) => r.state === 'ended')
      .sort(byEnded)
      .slice(0, tombstones - max),
  );
  return records.filter((r) => !drop.has(r));
}

/** R14's order: oldest end first, then oldest creation, then session id. */
function byEnded(a: SessionInfo, b: SessionInfo): number {
  return (a.endedAt ?? 0) - (b.endedAt ?? 0) || a.createdAt - b.createdAt || (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0);
}

/** The plan of an admission: the outcome and the records to write back. */
export interface AdmissionPlan {
  /** What to answer. */
  readonly outcome: AdmitOutcome;
  /** The principal's records after the admission. */
  readonly records: SessionInfo[];
  /** Whether the records must be written back. */
  readonly changed: boolean;
}

/**
 * Decides an admission (see {@link AdmitRequest}) on a principal's current records.
 *
 * @param current - the principal's records as stored.
 * @param request - the admission.
 */
export function planAdmission(current: readonly SessionInfo[], request: AdmitRequest): AdmissionPlan {
  const { candidate, limit, onLimit, policy, timeouts, now } = request;
  // R3 is decided before this operation's R14 cap: a tombstone the admission itself
  // makes (the candidate expiring now) or trims away still refuses the id.
  const untrimmed = refresh(current, timeouts, now, false);
  const { expired } = untrimmed;
  const records = trimTombstones(untrimmed.records, timeouts.maxTombstones);
  const changed = untrimmed.changed || records !== untrimmed.records;
  const existing = untrimmed.records.find((r) => r.sessionId === candidate.sessionId);
  const active = records.filter((r) => r.state === 'active' && r.sessionId !== candidate.sessionId);
  // R2: already active for this principal: nothing changes.
  if (existing?.state === 'active') {
    const outcome = { admitted: true, session: existing, alreadyActive: true, evicted: [], replaced: [], expired } as const;
    return { outcome, records, changed };
  }
  if (existing) {
    const outcome = { admitted: false, code: 'ERR_SESSION_ENDED', holders: active, limit, expired } as const;
    return { outcome, records, changed };
  }

  const context: EvictionContext = { candidate, active, limit, now };
  // R5: sessions the candidate replaces do not count against the limit.
  const replaced = pick(policy.replaces?.(context) ?? [], active, active.length);
  const remaining = replaced.length ? active.filter((s) => !replaced.includes(s)) : active;
  const excess = remaining.length + 1 - limit;
  let victims: SessionInfo[] = [];
  // R6: evict exactly the excess from the policy's ranking, or refuse.
  if (excess > 0) {
    if (onLimit === 'evict') {
      victims = pick(policy.rank({ ...context, active: remaining }), remaining, excess);
    }
    if (victims.length < excess) {
      const outcome = { admitted: false, code: 'ERR_SESSION_LIMIT', holders: active, limit, expired } as const;
      return { outcome, records, changed };
    }
  }

  const endedReplaced = replaced.map((s) => endedSession(s, 'replaced', now));
  const endedVictims = victims.map((s) => endedSession(s, 'evicted', now));
  const endedById = new Map<string, SessionInfo>();
  for (const s of endedReplaced) endedById.set(s.sessionId, s);
  for (const s of endedVictims) endedById.set(s.sessionId, s);
  const ended = records.map((r) => endedById.get(r.sessionId) ?? r);
  ended.push(candidate);
  // R14: the sessions this admission ended count against maxTombstones.
  const next = trimTombstones(ended, timeouts.maxTombstones);
  const outcome = {
    admitted: true,
    session: candidate,
    alreadyActive: false,
    evicted: endedVictims,
    replaced: endedReplaced,
    expired,
  } as const;
  return { outcome, records: next, changed: true };
}

/**
 * Takes at most `count` distinct sessions from a policy's answer, keeping only sessions
 * that are in `allowed` (a policy cannot end a session it was not shown).
 */
function pick(chosen: readonly SessionInfo[], allowed: readonly SessionInfo[], count: number): SessionInfo[] {
  const byId = new Map(allowed.map((s) => [s.sessionId, s]));
  const out: SessionInfo[] = [];
  for (const s of chosen) {
    if (out.length >= count) break;
    const match = s && byId.get(s.sessionId);
    if (match) {
      out.push(match);
      byId.delete(s.sessionId);
    }
  }
  return out;
}

/** The plan of an end: what ended and the records to write back. */
export interface EndPlan {
  /** What to answer. */
  readonly outcome: EndOutcome;
  /** The principal's records after the end. */
  readonly records: SessionInfo[];
  /** Whether the records must be written back. */
  readonly changed: boolean;
}

/**
 * Ends the active sessions selected by `which`.
 *
 * @param current - the principal's records as stored.
 * @param which - whether to end a session.
 * @param reason - why they end.
 * @param timeouts - the timeouts in force.
 * @param now - the current time.
 */
export function planEnd(
  current: readonly SessionInfo[],
  which: (session: SessionInfo) => boolean,
  reason: EndReason,
  timeouts: Timeouts,
  now: number,
): EndPlan {
  const { records, expired, changed } = refresh(current, timeouts, now);
  const ended: SessionInfo[] = [];
  // R19: end the selected active sessions; R14: then trim the tombstones.
  const next = trimTombstones(
    records.map((r) => {
      if (r.state !== 'active' || !which(r)) return r;
      const e = endedSession(r, reason, now);
      ended.push(e);
      return e;
    }),
    timeouts.maxTombstones,
  );
  return { outcome: { ended, expired }, records: next, changed: changed || ended.length > 0 };
}

/** The plan of a touch: the records to write back, if any changed. */
export interface TouchPlan {
  /** The principal's records after the touch. */
  readonly records: readonly SessionInfo[];
  /** Whether any record changed (the records must be written back). */
  readonly changed: boolean;
}

/**
 * R11: for each touch of an active session, `lastSeenAt = max(lastSeenAt, seenAt)`;
 * unknown and ended sessions are ignored. Nothing is ended or revived here.
 *
 * @param current - the principal's records as stored.
 * @param seen - the latest `seenAt` per session id of this principal.
 */
export function planTouch(current: readonly SessionInfo[], seen: ReadonlyMap<string, number>): TouchPlan {
  let changed = false;
  const records = current.map((r) => {
    const at = seen.get(r.sessionId);
    if (at === undefined || r.state !== 'active' || !(at > r.lastSeenAt)) return r;
    changed = true;
    return sessionRecord({ ...r, lastSeenAt: at });
  });
  return changed ? { records, changed } : { records: current, changed };
}

/**
 * The earliest time at which something in these records needs attention (a session
 * expires, or a tombstone is forgotten); `Infinity` if never.
 *
 * @param records - a principal's records.
 * @param timeouts - the timeouts in force.
 */
export function nextDeadline(records: readonly SessionInfo[], timeouts: Timeouts): number {
  let at = Infinity;
  for (const r of records) {
    const t = r.state === 'active' ? Math.min(r.lastSeenAt + timeouts.idle, r.createdAt + timeouts.absolute) : forgetAt(r, timeouts);
    if (t < at) at = t;
  }
  return at;
}

/**
 * How long the records must be kept at least: until the last of them is forgotten.
 *
 * @param records - a principal's records.
 * @param timeouts - the timeouts in force.
 */
export function lastForget(records: readonly SessionInfo[], timeouts: Timeouts): number {
  let at = 0;
  for (const r of records) at = Math.max(at, forgetAt(r, timeouts));
  return at;
}
