/**
 * The states of one principal's upstream session in a {@link SessionKeeper}:
 *
 * - `disconnected`: no session is held.
 * - `authenticating`: the first login is in flight; callers wait for it.
 * - `connected`: a session is held and no work is running.
 * - `executing`: work is running with the session.
 * - `reconnecting`: the session expired; the one re-login is in flight and callers wait
 *   for it.
 *
 * @public
 */
export type SessionState = 'disconnected' | 'authenticating' | 'connected' | 'executing' | 'reconnecting';

/**
 * The transitions allowed from each state. The keeper never moves a state by hand: it
 * derives the state from what it holds (a login in flight, a session, work running) each
 * time one of those changes, and every change so derived is in this table:
 *
 * ```text
 * disconnected   → authenticating | reconnecting (a login after the last session expired twice)
 * authenticating → connected | executing (older work still running) | disconnected (failed)
 * connected      → executing | reconnecting | disconnected (logout, close, idle)
 * executing      → connected | reconnecting (expiry) | disconnected (logout, close, gave up)
 * reconnecting   → connected | executing (older work still running) | disconnected
 * ```
 *
 * @public
 */
export const TRANSITIONS: Readonly<Record<SessionState, readonly SessionState[]>> = {
  disconnected: ['authenticating', 'reconnecting'],
  authenticating: ['connected', 'executing', 'disconnected'],
  connected: ['executing', 'reconnecting', 'disconnected'],
  executing: ['connected', 'reconnecting', 'disconnected'],
  reconnecting: ['connected', 'executing', 'disconnected'],
};

/**
 * A change of state, as told by the `statechange` event.
 *
 * @public
 */
export interface StateChange {
  /** The principal's key. */
  readonly key: string;
  /** The state left. */
  readonly from: SessionState;
  /** The state entered. */
  readonly to: SessionState;
}

/**
 * A small explicit state machine for one principal's session: it holds the state,
 * refuses transitions the table does not allow, and reports each change.
 *
 * @public
 */
export class Lifecycle {
  /** The principal's key. */
  readonly key: string;
  #state: SessionState = 'disconnected';
  readonly #onChange: (change: StateChange) => void;

  /**
   * @param key - the principal's key.
   * @param onChange - called after each change of state.
   */
  constructor(key: string, onChange: (change: StateChange) => void) {
    this.key = key;
    this.#onChange = onChange;
  }

  /** The current state. */
  get state(): SessionState {
    return this.#state;
  }

  /**
   * Moves to `to`. Moving to the current state does nothing.
   *
   * @param to - the next state.
   * @throws Error when {@link TRANSITIONS} does not allow it: a bug in the keeper.
   */
  to(to: SessionState): void {
    const from = this.#state;
    if (from === to) return;
    if (!TRANSITIONS[from].includes(to)) throw new Error(`Invalid session state transition ${from} → ${to}`);
    this.#state = to;
    this.#onChange({ key: this.key, from, to });
  }
}
