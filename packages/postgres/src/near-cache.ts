import type { SessionInfo } from '@session-policy/core';
import type { CheckOutcome } from '@session-policy/core/store';
import { LRUCache } from 'lru-cache';

/** A check answer for an active session. */
export type ActiveAnswer = Extract<CheckOutcome, { status: 'active' }>;

/**
 * Sessions recently seen active in Postgres, answered from memory for `ttl` ms. An epoch
 * counter is bumped whenever an end may have been missed (a bus message, the bus going
 * down or up): an answer read from Postgres before the bump is not cached after it.
 */
export class NearCache {
  readonly #cache: LRUCache<string, ActiveAnswer>;
  #epoch = 0;

  /**
   * @param ttl - how long an entry is answered, in milliseconds.
   * @param max - the most entries.
   */
  constructor(ttl: number, max: number) {
    this.#cache = new LRUCache<string, ActiveAnswer>({ ttl, max });
  }

  /** The current epoch (read it before a read from Postgres, pass it to {@link remember}). */
  get epoch(): number {
    return this.#epoch;
  }

  /**
   * The cached answer for a session, if any.
   *
   * @param principalKey - the principal's key.
   * @param sessionId - the session id.
   */
  get(principalKey: string, sessionId: string): ActiveAnswer | undefined {
    return this.#cache.get(key(principalKey, sessionId));
  }

  /**
   * Caches an active session if nothing may have been missed since `epoch`.
   *
   * @param answer - the answer.
   * @param epoch - the epoch read before the answer was read from Postgres.
   */
  remember(answer: ActiveAnswer, epoch: number): void {
    if (epoch === this.#epoch) this.#cache.set(key(answer.session.principalKey, answer.session.sessionId), answer);
  }

  /**
   * Drops sessions (they ended).
   *
   * @param lists - the sessions.
   */
  forget(...lists: ReadonlyArray<readonly SessionInfo[]>): void {
    for (const list of lists) for (const s of list) this.#cache.delete(key(s.principalKey, s.sessionId));
  }

  /** Drops everything and bumps the epoch. */
  invalidate(): void {
    this.#epoch++;
    this.#cache.clear();
  }

  /** Bumps the epoch (an end arrived: in-flight reads must not be cached). */
  bump(): void {
    this.#epoch++;
  }
}

function key(principalKey: string, sessionId: string): string {
  return `${sessionId}\n${principalKey}`;
}
