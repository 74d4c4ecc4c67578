import type { SessionBinding } from './session-binding.js';
import { markerId, markerKey, newSessionId, type SessionMarker } from './session-marker.js';

/**
 * The {@link SessionBinding} of a session mechanism that keeps the session's data where
 * the adapter reads and writes it, with no session id of its own the policy can use
 * (koa-session's cookie mode, @hapi/cookie, @fastify/secure-session): the policy's
 * marker — its own session id and the principal key — lives in that data. The rules are
 * here once: the id is the marker's, or the fresh one a regeneration made until the
 * marker is written; a login writes the marker; a logout forgets both. A subclass only
 * says where the data lives.
 *
 * @public
 */
export abstract class MarkerSessionBinding implements SessionBinding {
  #fresh: string | undefined;

  /** The session data as the session library holds it (`undefined` or `null` when none). */
  protected abstract data(): unknown;

  /** Writes the marker into the session data (keeping the rest of it). */
  protected abstract writeMarker(marker: SessionMarker): void;

  /** Empties the session's data, so that the login that follows starts a new session. */
  protected abstract clear(): void | Promise<void>;

  /** Ends the session (the library drops or expires it). */
  protected abstract drop(): void | Promise<void>;

  /** The policy's session id: the fresh one after a regeneration, else the marker's. */
  id(): string | undefined {
    return this.#fresh ?? markerId(this.data());
  }

  /** The principal key the marker carries. */
  principalKey(): string | undefined {
    return markerKey(this.data());
  }

  /** Writes the marker: this session's id (a new one if it has none) and the key. */
  setPrincipalKey(key: string): void {
    this.writeMarker({ id: this.id() ?? newSessionId(), key });
  }

  /** Empties the session and gives it a fresh id. */
  async regenerate(): Promise<void> {
    await this.clear();
    this.#fresh = newSessionId();
  }

  /** Forgets the fresh id and ends the session. */
  destroy(): void | Promise<void> {
    this.#fresh = undefined;
    return this.drop();
  }
}
