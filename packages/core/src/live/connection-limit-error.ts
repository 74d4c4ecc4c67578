import { SessionPolicyError } from '../errors.js';

/**
 * Which cap refused a live connection: the session's own cap, or the principal's cap
 * across all of its sessions.
 *
 * @public
 */
export type ConnectionLimitScope = 'session' | 'principal';

/**
 * A live connection was refused by a connection cap (`ERR_CONNECTION_LIMIT`), because
 * the manager runs with `onLimit: 'reject'`. Close another tab or device's stream, or
 * run with `onLimit: 'evict'`.
 *
 * @public
 */
export class ConnectionLimitError extends SessionPolicyError {
  /** The cap that refused the connection. */
  readonly scope: ConnectionLimitScope;
  /** The value of that cap. */
  readonly limit: number;

  /**
   * @param scope - the cap that refused the connection.
   * @param limit - its value.
   */
  constructor(scope: ConnectionLimitScope, limit: number) {
    super(
      'ERR_CONNECTION_LIMIT',
      `Live connection refused: the ${scope} already holds its maximum of ${limit} live connection${limit === 1 ? '' : 's'}; close one or configure onLimit: 'evict'`,
    );
    this.scope = scope;
    this.limit = limit;
  }
}
