import { LRUCache } from 'lru-cache';
import type { NearCacheSettings } from './bus-options.js';
import type { SessionInfo } from './session.js';
import type { CheckOutcome } from './store.js';
import { expiryReason, type Timeouts } from './timeouts.js';

/**
 * A check's answer for an active session, as a {@link NearCache} keeps and hands it back.
 *
 * @public
 */
export type ActiveOutcome = Extract<CheckOutcome, { status: 'active' }>;

/**
 * The near cache of a store shared by many processes: sessions the backend answered
 * active within `ttl`, answered from memory (the store uses it only while its revocation
 * bus is proven live). An entry is only ever added for an answer the backend gave before
 * the last possible miss of an end (the epoch: the store bumps it with every bus message
 * and every change of the bus's state), so a late answer never re-caches a session ended
 * meanwhile. A hit answers only while the session has not passed a timeout at the
 * request's time (R7, R8): an expiry always goes to the backend. Entries are keyed by the
 * session id alone (a session id belongs to one principal at a time, R4) and a hit must
 * name the same principal: a lookup builds no key string.
 *
 * @public
 */
export class NearCache {
  readonly #entries: LRUCache<string, ActiveOutcome>;
  #epoch = 0;

  /**
   * @param settings - `ttl`: how long an entry may answer, in milliseconds; `max`: the
   *   most entries kept (see {@link resolveBusOptions}).
   */
  constructor(settings: NearCacheSettings) {
    this.#entries = new LRUCache<string, ActiveOutcome>({ max: settings.max, ttl: settings.ttl });
  }

  /** The current epoch; read it before a backend read, pass it back to {@link remember} with the answer. */
  get epoch(): number {
    return this.#epoch;
  }

  /**
   * The cached active answer for a session if it has passed no timeout at `now`, or
   * `undefined`.
   *
   * @param principalKey - the principal's key.
   * @param sessionId - the session id.
   * @param timeouts - the timeouts in force.
   * @param now - the request's time.
   */
  get(principalKey: string, sessionId: string, timeouts: Timeouts, now: number): ActiveOutcome | undefined {
    const hit = this.#entries.get(sessionId);
    return hit && hit.session.principalKey === principalKey && expiryReason(hit.session, timeouts, now) === undefined ? hit : undefined;
  }

  /**
   * Caches an active answer read from the backend, unless the epoch moved since it was read.
   *
   * @param outcome - the answer.
   * @param epoch - {@link NearCache.epoch} as it was before the read.
   */
  remember(outcome: ActiveOutcome, epoch: number): void {
    if (epoch === this.#epoch) this.#entries.set(outcome.session.sessionId, outcome);
  }

  /**
   * Drops sessions (ended, or about to change).
   *
   * @param lists - the sessions, in any number of lists.
   */
  forget(...lists: ReadonlyArray<readonly SessionInfo[]>): void {
    for (const list of lists) {
      for (const s of list) if (this.#entries.peek(s.sessionId)?.session.principalKey === s.principalKey) this.#entries.delete(s.sessionId);
    }
  }

  /** Drops everything and moves the epoch (the bus missed, or may have missed, ends). */
  invalidate(): void {
    this.#epoch++;
    this.#entries.clear();
  }

  /** Moves the epoch (an end was learned: answers read before it must not be cached). */
  bump(): void {
    this.#epoch++;
  }
}
