import { InvalidPrincipalError, SessionExpiredError } from './errors.js';

/**
 * What a strategy's `login` is told about the attempt it makes.
 *
 * @public
 */
export interface LoginContext {
  /** Aborted when the keeper or pool closes; pass it to `fetch`. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt of this login, 2 for its first retry, and so on. */
  readonly attempt: number;
  /** `true` when this login replaces a session that expired. */
  readonly renewal: boolean;
}

/**
 * What a strategy's `logout` is told.
 *
 * @public
 */
export interface LogoutContext {
  /** Aborted when the logout timeout passes; pass it to `fetch`. */
  readonly signal: AbortSignal;
}

/**
 * How to log in to an upstream, how to tell that a session expired and how to log out:
 * everything the keeper and the pool know about the upstream. Write one in a few lines,
 * or use {@link cookieStrategy} / {@link bearerStrategy}.
 *
 * @typeParam P - the principal: whatever identifies whom to log in as (a user name, a
 *   `{ id, password }` record…).
 * @typeParam S - the session: whatever work needs to talk to the upstream as that
 *   principal (a cookie jar, a token, an SDK client…).
 * @public
 */
export interface SessionStrategy<P, S> {
  /**
   * Logs in as `principal` and resolves to the new session. Throw an
   * {@link UpstreamLoginError} when the upstream refuses the credentials: that is never
   * retried. Any other error is taken as passing and retried with backoff.
   */
  login(principal: P, context: LoginContext): Promise<S>;
  /**
   * Whether an error thrown by work means the session expired (the keeper then logs in
   * again and retries the work once). Default: the error is a {@link SessionExpiredError}.
   */
  isExpired?(error: unknown, session: S): boolean;
  /**
   * Logs the session out. Errors are reported in the `logout` event, never thrown. The
   * context's signal aborts when the logout timeout passes; pass it to `fetch`.
   */
  logout?(session: S, principal: P, context: LogoutContext): Promise<void>;
  /**
   * The principal's key: principals with equal keys share sessions. Default: a string
   * principal is its own key, a number its decimal form, an object its `id` field.
   */
  key?(principal: P): string;
  /**
   * Turns a session into plain JSON data, for {@link PoolLease.detach}. Default: the
   * session itself (fine when it is plain data, such as a token).
   */
  serialize?(session: S): unknown;
  /** Rebuilds a session from what `serialize` produced, for {@link SessionPool.attach}. */
  deserialize?(data: unknown, principal: P): S;
}

/**
 * The default principal key: a string is its own key, a finite number its decimal form,
 * an object its string or number `id`.
 *
 * @param principal - the principal.
 * @public
 */
export function defaultPrincipalKey(principal: unknown): string {
  if (typeof principal === 'string' && principal.length > 0) return principal;
  if (typeof principal === 'number' && Number.isFinite(principal)) return String(principal);
  if (typeof principal === 'object' && principal !== null && 'id' in principal) {
    const id = (principal as { id: unknown }).id;
    if ((typeof id === 'string' && id.length > 0) || (typeof id === 'number' && Number.isFinite(id))) return String(id);
  }
  throw new InvalidPrincipalError(
    'a client principal must be a non-empty string, a finite number or an object with an id; otherwise give the strategy a key() function',
  );
}

/** The default expiry test: the work threw a {@link SessionExpiredError}. */
export function isSessionExpiredError(error: unknown): boolean {
  return error instanceof SessionExpiredError;
}
