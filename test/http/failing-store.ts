import { createMemoryStore, type SessionStore } from '@session-policy/core';

/**
 * A real store that can be switched to failing: the embedded memory store, behind a
 * switch that makes every operation throw as a backend that went away would.
 */
export class FailingStore implements SessionStore {
  readonly name = 'failing-memory';
  /** While `true`, every operation throws. */
  down = false;
  readonly #store = createMemoryStore();

  #guard(): void {
    if (this.down) throw new Error('connection refused (the test switched the store off)');
  }

  async admit(...args: Parameters<SessionStore['admit']>) {
    this.#guard();
    return this.#store.admit(...args);
  }

  async check(...args: Parameters<SessionStore['check']>) {
    this.#guard();
    return this.#store.check(...args);
  }

  async touch(...args: Parameters<SessionStore['touch']>) {
    this.#guard();
    return this.#store.touch(...args);
  }

  async list(...args: Parameters<SessionStore['list']>) {
    this.#guard();
    return this.#store.list(...args);
  }

  async end(...args: Parameters<SessionStore['end']>) {
    this.#guard();
    return this.#store.end(...args);
  }

  async endAll(...args: Parameters<SessionStore['endAll']>) {
    this.#guard();
    return this.#store.endAll(...args);
  }

  async sweep(...args: Parameters<SessionStore['sweep']>) {
    this.#guard();
    return this.#store.sweep(...args);
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}
