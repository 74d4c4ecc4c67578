/**
 * What the policy needs from a session library, for one request. Each adapter implements
 * it over its framework's session mechanism (express-session, koa-session, @hapi/cookie,
 * a JWT…); everything else a request does with the policy lives in the core.
 *
 * The principal key stored at login is the marker of a tracked session: a session that
 * carries one is checked on every request, a session without one passes untouched.
 *
 * @public
 */
export interface SessionBinding {
  /** The session id the request carries (or was given by {@link regenerate}), if any. */
  id(): string | undefined;
  /** The principal key stored in the session by a login, or `undefined` when the session is not tracked. */
  principalKey(): string | undefined;
  /** Stores the principal key in the session data, after an admitted login. */
  setPrincipalKey(key: string): void | Promise<void>;
  /**
   * Gives the request a fresh, empty session with a new id (session-fixation protection).
   * Leave it out when the session library cannot rotate ids (a JWT the application
   * issues itself): the login then admits whatever id the request carries.
   */
  regenerate?(): Promise<void>;
  /** Destroys the session in the session library (logout, or an ended session). */
  destroy(): void | Promise<void>;
}
