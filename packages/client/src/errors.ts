/**
 * Stable codes of the errors the client package throws. A code never changes meaning
 * once released; match on it, not on the message.
 *
 * - `ERR_UPSTREAM_LOGIN_FAILED`: the upstream refused the credentials. Never retried:
 *   trying again with the same password only locks accounts.
 * - `ERR_UPSTREAM_UNAVAILABLE`: logging in failed for a reason that may pass (network,
 *   5xx, timeout) as many times in a row as `retry.attempts` allows; the last failure is
 *   the `cause`.
 * - `ERR_UPSTREAM_RESPONSE`: the upstream answered a login or logout with a status the
 *   adapter does not expect. Treated as passing: it is retried like a network failure.
 * - `ERR_UPSTREAM_SESSION_EXPIRED`: the upstream says the session is gone. Work throws it
 *   (the fetch adapters do) to ask for a re-login; it escapes `run` only when the work
 *   still reports expiry with the fresh session, which means something else keeps ending
 *   it (another process logging in as the same user, for instance).
 * - `ERR_KEEPER_CLOSED`: the keeper was closed.
 * - `ERR_POOL_CLOSED`: the pool was closed.
 * - `ERR_POOL_TIMEOUT`: no session of the pool became free within the acquire timeout.
 * - `ERR_POOL_FULL`: a detached session cannot be attached because the principal already
 *   holds the pool's maximum of sessions.
 * - `ERR_INVALID_DETACHED`: what was given to `attach` is not a detached session of this
 *   principal.
 * - `ERR_LEASE_ENDED`: a lease was used after it was released, discarded or detached.
 * - `ERR_UPSTREAM_LOGIN_COOLDOWN`: the upstream refused this principal's credentials a
 *   short while ago; no login is tried until the cooldown passes or the app calls
 *   `resetCooldown`. The refusal is the `cause`.
 * - `ERR_UPSTREAM_TIMEOUT`: one login attempt (or a logout) took longer than its
 *   timeout. A login timeout is a passing failure: it is retried with backoff.
 * - `ERR_COORDINATOR`: the coordinator shared with other processes failed (Redis down…);
 *   the failure is the `cause`.
 * - `ERR_INVALID_OPTION`: an option given to a constructor is wrong; the message and
 *   `option` name it.
 * - `ERR_INVALID_PRINCIPAL`: the principal cannot be turned into a key.
 *
 * @public
 */
export type ClientErrorCode =
  | 'ERR_UPSTREAM_LOGIN_FAILED'
  | 'ERR_UPSTREAM_UNAVAILABLE'
  | 'ERR_UPSTREAM_RESPONSE'
  | 'ERR_UPSTREAM_SESSION_EXPIRED'
  | 'ERR_KEEPER_CLOSED'
  | 'ERR_POOL_CLOSED'
  | 'ERR_POOL_TIMEOUT'
  | 'ERR_POOL_FULL'
  | 'ERR_INVALID_DETACHED'
  | 'ERR_LEASE_ENDED'
  | 'ERR_UPSTREAM_LOGIN_COOLDOWN'
  | 'ERR_UPSTREAM_TIMEOUT'
  | 'ERR_COORDINATOR'
  | 'ERR_INVALID_OPTION'
  | 'ERR_INVALID_PRINCIPAL';

/**
 * The base class of the client package's errors: an `Error` with a stable `code` (a
 * {@link ClientErrorCode}) and the class's name as `name`, the same convention as the
 * server-side packages' `SessionPolicyError`, without depending on them. Branch on `code`.
 *
 * @public
 */
export class ClientError extends Error {
  /** The stable code of this error. */
  readonly code: ClientErrorCode;

  /**
   * @param code - the stable code.
   * @param message - what happened and what to do about it.
   * @param options - standard `ErrorOptions` (`cause`).
   */
  constructor(code: ClientErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An option is invalid (`ERR_INVALID_OPTION`); the message names it and says why. @public */
export class InvalidOptionError extends ClientError {
  /** The name of the offending option, dotted for nested options. */
  readonly option: string;

  /**
   * @param option - the option's name.
   * @param message - why it is refused.
   */
  constructor(option: string, message: string) {
    super('ERR_INVALID_OPTION', `Invalid option "${option}": ${message}`);
    this.option = option;
  }
}

/** The principal cannot be turned into a key (`ERR_INVALID_PRINCIPAL`). @public */
export class InvalidPrincipalError extends ClientError {
  /** @param message - why the principal was refused. */
  constructor(message: string) {
    super('ERR_INVALID_PRINCIPAL', message);
  }
}

/**
 * The upstream refused this principal's credentials less than the cooldown ago
 * (`ERR_UPSTREAM_LOGIN_COOLDOWN`): no login was tried. The refusal is the `cause`.
 *
 * @public
 */
export class LoginCooldownError extends ClientError {
  /** The principal's key. */
  readonly principalKey: string;
  /** When logins are tried again (epoch milliseconds), unless the app resets it sooner. */
  readonly until: number;

  /**
   * @param principalKey - the principal's key.
   * @param until - when the cooldown ends, epoch milliseconds.
   * @param cause - the refusal that started it.
   */
  constructor(principalKey: string, until: number, cause: unknown) {
    super(
      'ERR_UPSTREAM_LOGIN_COOLDOWN',
      `The upstream refused the credentials of "${principalKey}"; no login is tried before ${new Date(until).toISOString()} (or resetCooldown())`,
      { cause },
    );
    this.principalKey = principalKey;
    this.until = until;
  }
}

/**
 * A login attempt or a logout took longer than its timeout (`ERR_UPSTREAM_TIMEOUT`).
 *
 * @public
 */
export class UpstreamTimeoutError extends ClientError {
  /** What timed out. */
  readonly operation: 'login' | 'logout';
  /** The timeout, in milliseconds. */
  readonly timeout: number;

  /**
   * @param operation - what timed out.
   * @param timeout - the timeout, in milliseconds.
   */
  constructor(operation: 'login' | 'logout', timeout: number) {
    super('ERR_UPSTREAM_TIMEOUT', `The upstream ${operation} did not answer within ${timeout} ms`);
    this.operation = operation;
    this.timeout = timeout;
  }
}

/** The coordinator shared with other processes failed (`ERR_COORDINATOR`). @public */
export class CoordinatorError extends ClientError {
  /**
   * @param message - what was being done.
   * @param cause - the failure.
   */
  constructor(message: string, cause: unknown) {
    super('ERR_COORDINATOR', `${message}: ${describe(cause)}`, { cause });
  }
}

/**
 * The upstream refused the credentials (`ERR_UPSTREAM_LOGIN_FAILED`). A strategy's
 * `login` throws it to say "do not retry"; the keeper and the pool pass it to every
 * caller waiting for that login.
 *
 * @public
 */
export class UpstreamLoginError extends ClientError {
  /** The key of the principal whose login was refused, when known. */
  readonly principalKey: string | undefined;

  /**
   * @param message - what the upstream said.
   * @param principalKey - the principal's key, when known.
   * @param options - standard `ErrorOptions` (`cause`).
   */
  constructor(message = 'The upstream refused the credentials', principalKey?: string, options?: ErrorOptions) {
    super('ERR_UPSTREAM_LOGIN_FAILED', message, options);
    this.principalKey = principalKey;
  }
}

/**
 * Logging in failed `attempts` times in a row for passing reasons
 * (`ERR_UPSTREAM_UNAVAILABLE`); the last failure is the `cause`. The next call tries
 * again from scratch.
 *
 * @public
 */
export class UpstreamUnavailableError extends ClientError {
  /** The key of the principal that could not log in. */
  readonly principalKey: string;
  /** How many login attempts were made. */
  readonly attempts: number;

  /**
   * @param principalKey - the principal's key.
   * @param attempts - how many attempts were made.
   * @param cause - the last failure.
   */
  constructor(principalKey: string, attempts: number, cause: unknown) {
    super(
      'ERR_UPSTREAM_UNAVAILABLE',
      `Could not log in as "${principalKey}" after ${attempts} attempt(s): ${describe(cause)}`,
      { cause },
    );
    this.principalKey = principalKey;
    this.attempts = attempts;
  }
}

/**
 * The upstream answered a login or logout with an unexpected HTTP status
 * (`ERR_UPSTREAM_RESPONSE`). Retried like a network failure.
 *
 * @public
 */
export class UpstreamResponseError extends ClientError {
  /** The HTTP status received. */
  readonly status: number;

  /**
   * @param status - the HTTP status received.
   * @param message - what was being done.
   */
  constructor(status: number, message: string) {
    super('ERR_UPSTREAM_RESPONSE', `${message}: HTTP ${status}`);
    this.status = status;
  }
}

/**
 * The upstream session is gone (`ERR_UPSTREAM_SESSION_EXPIRED`). Throw it from work to
 * ask the keeper for a re-login and one retry; the fetch adapters throw it when the
 * upstream answers that the session ended.
 *
 * @public
 */
export class SessionExpiredError extends ClientError {
  /** The HTTP status that revealed the expiry, when it came from an HTTP response. */
  readonly status: number | undefined;

  /**
   * @param message - what revealed the expiry.
   * @param status - the HTTP status, when there is one.
   * @param options - standard `ErrorOptions` (`cause`).
   */
  constructor(message = 'The upstream session expired', status?: number, options?: ErrorOptions) {
    super('ERR_UPSTREAM_SESSION_EXPIRED', message, options);
    this.status = status;
  }
}

/** The keeper has been closed (`ERR_KEEPER_CLOSED`). @public */
export class KeeperClosedError extends ClientError {
  constructor() {
    super('ERR_KEEPER_CLOSED', 'The session keeper is closed');
  }
}

/** The pool has been closed (`ERR_POOL_CLOSED`). @public */
export class PoolClosedError extends ClientError {
  constructor() {
    super('ERR_POOL_CLOSED', 'The session pool is closed');
  }
}

/** No pooled session became free in time (`ERR_POOL_TIMEOUT`). @public */
export class PoolTimeoutError extends ClientError {
  /** How long the caller waited, in milliseconds. */
  readonly timeout: number;

  /**
   * @param principalKey - the principal's key.
   * @param timeout - how long the caller waited, in milliseconds.
   */
  constructor(principalKey: string, timeout: number) {
    super('ERR_POOL_TIMEOUT', `No session for "${principalKey}" became free within ${timeout} ms`);
    this.timeout = timeout;
  }
}

/** The principal already holds the pool's maximum of sessions (`ERR_POOL_FULL`). @public */
export class PoolFullError extends ClientError {
  /**
   * @param principalKey - the principal's key.
   * @param max - the pool's cap per principal.
   */
  constructor(principalKey: string, max: number) {
    super('ERR_POOL_FULL', `"${principalKey}" already holds ${max} pooled session(s); release one before attaching`);
  }
}

/** The value given to `attach` is not a usable detached session (`ERR_INVALID_DETACHED`). @public */
export class InvalidDetachedSessionError extends ClientError {
  /** @param message - what is wrong with it. */
  constructor(message: string) {
    super('ERR_INVALID_DETACHED', `Not a detached session of this principal: ${message}`);
  }
}

/** The lease was already released, discarded or detached (`ERR_LEASE_ENDED`). @public */
export class LeaseEndedError extends ClientError {
  constructor() {
    super('ERR_LEASE_ENDED', 'This lease was already released, discarded or detached');
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}
