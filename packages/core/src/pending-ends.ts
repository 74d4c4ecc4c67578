import type { EndReason, SessionInfo } from './session.js';
import type { SessionStore } from './store.js';
import type { Timeouts } from './timeouts.js';
import { SessionPolicyError } from './errors.js';
import { sessionHandle } from './http/session-handle.js';

/**
 * An end (logout, revoke, "log out everywhere") the store could not take when it was
 * asked (`ERR_STORE`: unreachable, timed out), kept by this process until the store
 * answers again. `one` ends one session; `handle` the principal's session of that handle
 * (a revoke from a devices page); `all` ends every session of the principal that
 * began before `queuedAt` (all but `except` if set), so a login made after the
 * outage is not ended by a request made before it.
 *
 * @public
 */
export type PendingEnd =
  | {
      readonly kind: 'one';
      readonly principalKey: string;
      readonly sessionId: string;
      readonly reason: EndReason;
      /** When it was asked, on the registry's clock. */
      readonly queuedAt: number;
    }
  | {
      /** A revoke by handle asked while the store could not list the sessions to find it. */
      readonly kind: 'handle';
      readonly principalKey: string;
      /** The session's handle (`sessionHandle(sessionId)`). */
      readonly handle: string;
      readonly reason: EndReason;
      /** When it was asked, on the registry's clock. */
      readonly queuedAt: number;
    }
  | {
      readonly kind: 'all';
      readonly principalKey: string;
      readonly except: string | undefined;
      readonly reason: EndReason;
      /** When it was asked, on the registry's clock. */
      readonly queuedAt: number;
    };

/**
 * Why a pending end was given up: `overflow` (the queue was full: the oldest end gives
 * way), `refused` (the store refused it for good, with an error other than `ERR_STORE`),
 * `closed` (the registry was closed before the store answered).
 *
 * @public
 */
export type DroppedReason = 'overflow' | 'refused' | 'closed';

/** What {@link PendingEnds} tells its owner. */
export interface PendingEndsEvents {
  /** An end was written: the sessions it ended, and those found expired on the way. */
  readonly delivered: (end: PendingEnd, ended: readonly SessionInfo[], expired: readonly SessionInfo[]) => void;
  /** An end was given up. */
  readonly dropped: (end: PendingEnd, why: DroppedReason) => void;
}

/** Ends kept at most per process by default. */
export const PENDING_ENDS_MAX = 10_000;
/** Default retry interval, in milliseconds. */
export const PENDING_ENDS_RETRY = 1000;

/**
 * The per-process queue of ends the store did not take: bounded (the oldest gives way),
 * retried in order every `retryInterval` while not empty (one timer, unref'd, none while
 * empty), each written through the store's own `end` (so published on its bus as any
 * end) and reported as delivered or dropped.
 */
export class PendingEnds {
  readonly #store: SessionStore;
  readonly #context: () => { readonly now: number; readonly timeouts: Timeouts };
  readonly #events: PendingEndsEvents;
  readonly #max: number;
  readonly #retryInterval: number;
  #queue: PendingEnd[] = [];
  // The same ends by principal, for the checks made while they wait.
  readonly #byPrincipal = new Map<string, PendingEnd[]>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #closed = false;

  /**
   * @param store - the store to write to.
   * @param context - the registry's current time and timeouts.
   * @param events - where deliveries and drops go.
   * @param max - the most ends kept.
   * @param retryInterval - how often to retry, in milliseconds.
   */
  constructor(
    store: SessionStore,
    context: () => { readonly now: number; readonly timeouts: Timeouts },
    events: PendingEndsEvents,
    max = PENDING_ENDS_MAX,
    retryInterval = PENDING_ENDS_RETRY,
  ) {
    this.#store = store;
    this.#context = context;
    this.#events = events;
    this.#max = max;
    this.#retryInterval = retryInterval;
  }

  /** How many ends wait. */
  get size(): number {
    return this.#queue.length;
  }

  /** The ends waiting, oldest first. */
  list(): readonly PendingEnd[] {
    return [...this.#queue];
  }

  /**
   * The waiting end that would end this session once written: an end of this very
   * session first, else a "log out everywhere" of its principal that does not spare it.
   * (Whether the session began before that "log out everywhere" is the caller's to tell.)
   *
   * @param principalKey - the principal's key.
   * @param sessionId - the session.
   */
  covering(principalKey: string, sessionId: string): PendingEnd | undefined {
    const ends = this.#byPrincipal.get(principalKey);
    if (!ends) return undefined;
    let all: PendingEnd | undefined;
    let handle: string | undefined;
    for (const end of ends) {
      if (end.kind === 'one') {
        if (end.sessionId === sessionId) return end;
      } else if (end.kind === 'handle') {
        if (end.handle === (handle ??= sessionHandle(sessionId))) return end;
      } else if (end.except !== sessionId) all ??= end;
    }
    return all;
  }

  /**
   * Whether a failure means "the store did not answer" (keep the end and retry) rather
   * than "the store refused it" (nothing to retry).
   *
   * @param error - what the store threw.
   */
  static retryable(error: unknown): boolean {
    return error instanceof SessionPolicyError && error.code === 'ERR_STORE';
  }

  /**
   * Keeps an end for later; when full, the oldest is dropped (`overflow`).
   *
   * @param end - the end.
   */
  add(end: PendingEnd): void {
    if (this.#closed) {
      this.#events.dropped(end, 'closed');
      return;
    }
    this.#queue.push(end);
    const ends = this.#byPrincipal.get(end.principalKey);
    if (ends) ends.push(end);
    else this.#byPrincipal.set(end.principalKey, [end]);
    while (this.#queue.length > this.#max) this.#events.dropped(this.#shift(), 'overflow');
    if (!this.#timer) {
      this.#timer = setInterval(() => void this.flush(), this.#retryInterval);
      this.#timer.unref();
    }
  }

  /**
   * Tries to write the waiting ends, oldest first, stopping at the first the store does
   * not answer. Concurrent calls share one run.
   */
  flush(): Promise<void> {
    this.#running ??= this.#flush().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #flush(): Promise<void> {
    while (this.#queue.length > 0 && !this.#closed) {
      const end = this.#queue[0] as PendingEnd;
      let outcome: { ended: SessionInfo[]; expired: SessionInfo[] };
      try {
        outcome = await this.#deliver(end);
      } catch (error) {
        if (PendingEnds.retryable(error)) return; // still down: next interval
        if (this.#queue[0] === end) this.#shift();
        this.#events.dropped(end, 'refused');
        continue;
      }
      if (this.#queue[0] === end) this.#shift();
      this.#events.delivered(end, outcome.ended, outcome.expired);
    }
    if (this.#queue.length === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  async #deliver(end: PendingEnd): Promise<{ ended: SessionInfo[]; expired: SessionInfo[] }> {
    const { now, timeouts } = this.#context();
    const { principalKey, reason } = end;
    if (end.kind === 'one') {
      const outcome = await this.#store.end({ principalKey, sessionId: end.sessionId, reason, now, timeouts });
      return { ended: [...outcome.ended], expired: [...outcome.expired] };
    }
    // Only the sessions that existed when "log out everywhere" (or the revoke) was asked.
    const listed = await this.#store.list({ principalKey, now, timeouts });
    const ended: SessionInfo[] = [];
    const expired = [...listed.expired];
    for (const s of listed.sessions) {
      if (s.state !== 'active' || s.createdAt > end.queuedAt) continue;
      if (end.kind === 'all' ? s.sessionId === end.except : sessionHandle(s.sessionId) !== end.handle) continue;
      const outcome = await this.#store.end({ principalKey, sessionId: s.sessionId, reason, now, timeouts });
      ended.push(...outcome.ended);
      expired.push(...outcome.expired);
    }
    return { ended, expired };
  }

  /** Stops retrying; what still waits is dropped (`closed`). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
    this.#byPrincipal.clear();
    for (const end of this.#queue.splice(0)) this.#events.dropped(end, 'closed');
  }

  /** Takes the oldest end off the queue and its principal's list. */
  #shift(): PendingEnd {
    const end = this.#queue.shift() as PendingEnd;
    const ends = this.#byPrincipal.get(end.principalKey);
    if (ends) {
      const i = ends.indexOf(end);
      if (i >= 0) ends.splice(i, 1);
      if (ends.length === 0) this.#byPrincipal.delete(end.principalKey);
    }
    return end;
  }
}
