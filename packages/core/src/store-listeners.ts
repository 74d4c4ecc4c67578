import type { SessionInfo } from './session.js';

/**
 * The listeners a store hands its news to: those of `SessionStore.watch` (sessions ended
 * by other processes) and of `SessionStore.onError` (problems that are no failure of an
 * operation). A store delegates both methods here and calls {@link ended} and
 * {@link report}; each listener is called once per event, in subscription order.
 *
 * @example
 * ```ts
 * class MyStore {
 *   readonly #listeners = new StoreListeners();
 *   onError(listener: (error: Error) => void): () => void {
 *     return this.#listeners.onError(listener);
 *   }
 * }
 * ```
 *
 * @public
 */
export class StoreListeners {
  readonly #watchers = new Set<(ended: readonly SessionInfo[]) => void>();
  readonly #errorListeners = new Set<(error: Error) => void>();

  /**
   * Subscribes to sessions ended elsewhere (as `SessionStore.watch`); returns the
   * unsubscribe function.
   *
   * @param listener - called with each batch of ended sessions.
   */
  watch(listener: (ended: readonly SessionInfo[]) => void): () => void {
    this.#watchers.add(listener);
    return () => this.#watchers.delete(listener);
  }

  /**
   * Subscribes to the store's problems (as `SessionStore.onError`); returns the
   * unsubscribe function.
   *
   * @param listener - called with each problem.
   */
  onError(listener: (error: Error) => void): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /**
   * Tells every `watch` listener that sessions ended elsewhere.
   *
   * @param sessions - the ended sessions.
   */
  ended(sessions: readonly SessionInfo[]): void {
    for (const listener of this.#watchers) listener(sessions);
  }

  /**
   * Tells every `onError` listener of a problem.
   *
   * @param error - the problem.
   */
  report(error: Error): void {
    for (const listener of this.#errorListeners) listener(error);
  }
}
