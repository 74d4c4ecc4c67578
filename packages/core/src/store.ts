import type { EvictionPolicy } from './eviction-policy.js';
import type { EndReason, SessionInfo } from './session.js';
import type { Timeouts } from './timeouts.js';

/**
 * A login to admit, with the rules in force. One call is one atomic step for the
 * principal: counting its live sessions, ending expired ones, choosing victims and
 * writing the new session must not interleave with another operation on the same
 * principal.
 *
 * @public
 */
export interface AdmitRequest {
  /** The new session (state `active`, `createdAt` = `lastSeenAt` = `now`). */
  readonly candidate: SessionInfo;
  /** The principal's limit of active sessions (`Infinity` for none). */
  readonly limit: number;
  /** What to do over the limit: evict by the policy, or refuse the new login. */
  readonly onLimit: 'evict' | 'reject';
  /** The eviction policy. */
  readonly policy: EvictionPolicy;
  /** The timeouts in force. */
  readonly timeouts: Timeouts;
  /** The current time. */
  readonly now: number;
}

/**
 * The result of an admission.
 *
 * @public
 */
export type AdmitOutcome = AdmitAccepted | AdmitRefused;

/** An admitted login. @public */
export interface AdmitAccepted {
  /** Discriminant. */
  readonly admitted: true;
  /** The active session. */
  readonly session: SessionInfo;
  /** `true` when the same session id was already active for this principal (nothing changed). */
  readonly alreadyActive: boolean;
  /** Sessions evicted to make room (ended with reason `evicted`). */
  readonly evicted: readonly SessionInfo[];
  /**
   * Sessions replaced by this login (ended with reason `replaced`): the same device's
   * (R5), and this session id if it was active for another principal (R4, with that
   * principal's key).
   */
  readonly replaced: readonly SessionInfo[];
  /** Sessions found expired on the way (ended with reason `idle` or `absolute`). */
  readonly expired: readonly SessionInfo[];
}

/** A refused login. @public */
export interface AdmitRefused {
  /** Discriminant. */
  readonly admitted: false;
  /**
   * `ERR_SESSION_LIMIT`: the principal is at its limit and nothing may be evicted;
   * `ERR_SESSION_ENDED`: this session id was already ended and cannot come back.
   */
  readonly code: 'ERR_SESSION_LIMIT' | 'ERR_SESSION_ENDED';
  /** The active sessions holding the slots (for "sign out another device?"). */
  readonly holders: readonly SessionInfo[];
  /** The principal's limit. */
  readonly limit: number;
  /** Sessions found expired on the way (ended with reason `idle` or `absolute`). */
  readonly expired: readonly SessionInfo[];
}

/**
 * A request check.
 *
 * @public
 */
export interface CheckRequest {
  /** The principal's key. */
  readonly principalKey: string;
  /** The session id. */
  readonly sessionId: string;
  /** The current time. */
  readonly now: number;
  /** The timeouts in force. */
  readonly timeouts: Timeouts;
}

/**
 * One "last seen" to record (rule R11 of `docs/storage-rules.md`): if the principal's
 * session `sessionId` is active in the store, its `lastSeenAt` becomes
 * `max(lastSeenAt, seenAt)`; otherwise (unknown, ended, forgotten) nothing happens.
 *
 * @public
 */
export interface TouchRequest {
  /** The principal's key. */
  readonly principalKey: string;
  /** The session id. */
  readonly sessionId: string;
  /** When the session was last seen (milliseconds since the epoch, the registry's clock). */
  readonly seenAt: number;
}

/**
 * What a store may need besides the touches themselves: the time of the flush and the
 * timeouts in force, for the expiry bookkeeping that depends on `lastSeenAt` (key TTLs,
 * deadline indexes). A store must not end sessions because of it: a touch never ends,
 * never revives.
 *
 * @public
 */
export interface TouchContext {
  /** The current time. */
  readonly now: number;
  /** The timeouts in force. */
  readonly timeouts: Timeouts;
}

/**
 * The result of a check.
 *
 * @public
 */
export type CheckOutcome = (
  | { readonly status: 'active'; readonly session: SessionInfo }
  | { readonly status: 'ended'; readonly session: SessionInfo; readonly expiredNow: boolean }
  | { readonly status: 'unknown' }
) & {
  /**
   * Other sessions of the principal that this check found expired and ended on the way
   * (a store that refreshes the whole principal when it ends an expired session). Absent
   * when none.
   */
  readonly expired?: readonly SessionInfo[];
};

/** Reading a principal's sessions. @public */
export interface ListRequest {
  /** The principal's key. */
  readonly principalKey: string;
  /** The current time. */
  readonly now: number;
  /** The timeouts in force. */
  readonly timeouts: Timeouts;
}

/** A principal's sessions. @public */
export interface ListOutcome {
  /** Its sessions, active ones and tombstones still retained, oldest first. */
  readonly sessions: readonly SessionInfo[];
  /** Sessions found expired on the way (now tombstones, also in `sessions`). */
  readonly expired: readonly SessionInfo[];
}

/** Ending one session. @public */
export interface EndRequest extends ListRequest {
  /** The session to end. */
  readonly sessionId: string;
  /** Why it ends. */
  readonly reason: EndReason;
}

/** Ending all of a principal's sessions. @public */
export interface EndAllRequest extends ListRequest {
  /** Why they end. */
  readonly reason: EndReason;
  /** A session to keep ("log out other devices"). */
  readonly except?: string;
}

/** What an end changed. @public */
export interface EndOutcome {
  /** Sessions ended by this call (active before it). */
  readonly ended: readonly SessionInfo[];
  /** Sessions found expired on the way. */
  readonly expired: readonly SessionInfo[];
}

/** A sweep of expired sessions. @public */
export interface SweepRequest {
  /** The current time. */
  readonly now: number;
  /** The timeouts in force. */
  readonly timeouts: Timeouts;
  /** The most sessions to expire in this call (the rest wait for the next). */
  readonly limit: number;
}

/** What a sweep ended. @public */
export interface SweepOutcome {
  /** Sessions ended with reason `idle` or `absolute`. */
  readonly expired: readonly SessionInfo[];
}

/**
 * Where the registry keeps sessions, following the rules of `docs/storage-rules.md`
 * (R1 … R20). Every operation on one principal is atomic with
 * respect to every other operation on that principal — within one process for the
 * generic Keyv store, across processes for the Redis store. A store never makes an
 * ended session active again.
 *
 * Errors: operations throw `StoreError` (`ERR_STORE`) when the backend fails. Values
 * under the store's keys that it did not write are treated as absent and reported
 * through `onError`.
 *
 * Check a new store with `@session-policy/store-test-suite`.
 *
 * @public
 */
export interface SessionStore {
  /** A short name for logs and benchmarks. */
  readonly name: string;
  /** Admits a login (see {@link AdmitRequest}). */
  admit(request: AdmitRequest): Promise<AdmitOutcome>;
  /**
   * Checks a session on a request, ending it if it has expired (R7). It never writes
   * `lastSeenAt`: the registry records the request time in memory and sends it later
   * through {@link touch}.
   */
  check(request: CheckRequest): Promise<CheckOutcome>;
  /**
   * Answers a check without I/O and without writing, when the store can be sure: from
   * memory (the embedded store) or from a fresh near cache. Returns `undefined` whenever
   * the answer needs the backend (an expiry is due, a cache miss): the registry then
   * calls {@link check}. Optional; it lets adapters skip a promise per request.
   *
   * It is the per-request path, so it may allocate nothing: the caller reuses the
   * `request` object for its next call (read what you need during the call, keep no
   * reference to it), and reads the outcome at once and keeps no reference to it (a
   * store may hand back one reused outcome object).
   */
  peek?(request: CheckRequest): CheckOutcome | undefined;
  /**
   * Records at once, in the store's own memory, that a session this store has just
   * answered `active` for (`session`: the very object of that `check` or `peek`
   * outcome) was seen at `request.now`: from then on its idle expiry, its place in the
   * eviction order and its listing count from that time (rule R11 with nothing to write
   * behind). Returns `false` when it cannot (the record was replaced since, or the store
   * is not in this process): the registry then keeps the touch and sends it through
   * {@link touch}. The per-request path: no I/O, no promise, no allocation; keep no
   * reference to `request` (it is reused). Optional; the embedded store has it.
   */
  seen?(session: SessionInfo, request: CheckRequest): boolean;
  /**
   * Records when sessions were last seen (rule R11): for each entry whose session is
   * active, `lastSeenAt = max(lastSeenAt, seenAt)`, extending whatever expiry
   * bookkeeping depends on it; unknown and ended sessions are ignored; it never revives
   * and never ends a session. The registry calls it write-behind, coalesced, about once
   * a second per session, and before an admission, listing or end of a principal with
   * that principal's pending touches. One round trip for the whole batch where the
   * backend allows. Entries may repeat a session (the maximum wins) and may be in any
   * order.
   */
  touch(touches: readonly TouchRequest[], context: TouchContext): Promise<void>;
  /** Lists a principal's sessions. */
  list(request: ListRequest): Promise<ListOutcome>;
  /** Ends one active session of a principal. */
  end(request: EndRequest): Promise<EndOutcome>;
  /** Ends all active sessions of a principal (but `except`). */
  endAll(request: EndAllRequest): Promise<EndOutcome>;
  /** Ends expired sessions; cost is proportional to what it ends, not to all sessions. */
  sweep(request: SweepRequest): Promise<SweepOutcome>;
  /**
   * Subscribes to sessions ended by other processes sharing this store (stores shared
   * between processes implement it; the registry re-emits them as `ended` events with
   * origin `remote`). Returns the unsubscribe function.
   */
  watch?(listener: (ended: readonly SessionInfo[]) => void): () => void;
  /** Reports problems that are not failures of an operation (corrupt values, lost subscriptions). */
  onError?(listener: (error: Error) => void): () => void;
  /** Releases connections and timers. Idempotent. */
  close(): Promise<void>;
}
