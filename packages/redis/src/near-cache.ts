import { type SessionInfo } from '@session-policy/core';
import { expiryReason, type CheckOutcome, type Timeouts } from '@session-policy/core/store';
import { LRUCache } from 'lru-cache';

/** A check's answer for an active session, as the near cache hands it back. */
export type ActiveOutcome = Extract<CheckOutcome, { status: 'active' }>;

/**
 * The Redis store's near cache: sessions seen active in Redis within `ttl`, answered from
 * memory while the revocation bus is proven live. An entry is only ever added for an
 * answer Redis gave before the last possible miss of an end (the epoch: bumped by every
 * bus message and every change of the bus's state), so a late answer never re-caches a
 * session ended meanwhile. A hit is used only while the session has not passed a timeout
 * at the request's time (R7, R8): an expiry always goes to Redis.
 */
export class NearCache {
  readonly #entries: LRUCache<string, ActiveOutcome>;
  #epoch = 0;

  /**
   * @param ttl - how long an entry may answer, in milliseconds.
   * @param max - the most entries kept.
   */
  constructor(ttl: number, max: number) {
    this.#entries = new LRUCache<string, ActiveOutcome>({ max, ttl });
  }

  /** The current epoch; pass it back to {@link remember} with an answer read after it. */
  get epoch(): number {
    return this.#epoch;
  }

  /**
   * A cached active answer that is still live at `now`, or `undefined`.
   *
   * @param principalKey - the principal's key.
   * @param sessionId - the session id.
   * @param timeouts - the timeouts in force.
   * @param now - the request's time.
   */
  get(principalKey: string, sessionId: string, timeouts: Timeouts, now: number): ActiveOutcome | undefined {
    const hit = this.#entries.get(cacheKey(principalKey, sessionId));
    return hit && expiryReason(hit.session, timeouts, now) === undefined ? hit : undefined;
  }

  /**
   * Caches an active answer read from Redis, unless the epoch moved since it was read.
   *
   * @param outcome - the answer.
   * @param epoch - {@link epoch} as it was before the read.
   */
  remember(outcome: ActiveOutcome, epoch: number): void {
    if (epoch === this.#epoch) this.#entries.set(cacheKey(outcome.session.principalKey, outcome.session.sessionId), outcome);
  }

  /**
   * Drops sessions (ended, or about to change).
   *
   * @param sessions - the sessions.
   */
  forget(sessions: readonly SessionInfo[]): void {
    for (const s of sessions) this.#entries.delete(cacheKey(s.principalKey, s.sessionId));
  }

  /** Drops everything and moves the epoch (the bus missed or may have missed ends). */
  invalidate(): void {
    this.#epoch++;
    this.#entries.clear();
  }

  /** Moves the epoch (an end was learned: answers read before it must not be cached). */
  bump(): void {
    this.#epoch++;
  }
}

function cacheKey(principalKey: string, sessionId: string): string {
  return `${principalKey}\n${sessionId}`;
}
