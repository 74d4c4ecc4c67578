/**
 * Stable error codes. A code never changes meaning once released; match on it, not on
 * the message.
 *
 * - `ERR_INVALID_PRINCIPAL`: the principal cannot be turned into a key (missing, empty,
 *   not finite, no id field, too long, control characters).
 * - `ERR_INVALID_SESSION_ID`: the session id is not a string of 1 to `maxSessionIdLength`
 *   visible ASCII characters.
 * - `ERR_INVALID_OPTION`: an option given to a constructor is wrong; the message names it.
 * - `ERR_STORE`: the store failed (unreachable, timed out, refused the operation).
 * - `ERR_SESSION_LIMIT`: a login was refused because the principal holds its maximum of
 *   sessions and the configuration rejects new logins (or no session may be evicted).
 * - `ERR_SESSION_ENDED`: the session id was already ended; an ended session never
 *   becomes active again, so issue a new session id.
 * - `ERR_CORRUPT_RECORD`: a value under one of our keys is not a record we wrote; it is
 *   treated as absent and reported through the `error` event.
 * - `ERR_CLOSED`: the registry or store was closed.
 * - `ERR_CONNECTION_LIMIT`: a live connection was refused by the connection cap.
 * - `ERR_MISCONFIGURED`: the middleware is set up where it cannot work (mounted before
 *   the session middleware, on routes that never authenticate…); the message names the fix.
 *
 * @public
 */
export type ErrorCode =
  | 'ERR_INVALID_PRINCIPAL'
  | 'ERR_INVALID_SESSION_ID'
  | 'ERR_INVALID_OPTION'
  | 'ERR_STORE'
  | 'ERR_SESSION_LIMIT'
  | 'ERR_SESSION_ENDED'
  | 'ERR_CORRUPT_RECORD'
  | 'ERR_CLOSED'
  | 'ERR_CONNECTION_LIMIT'
  | 'ERR_MISCONFIGURED';

/**
 * The base class of every error this library throws or emits. Branch on {@link code}.
 * Other packages of the family extend it with codes of their own (the client package's
 * `ClientError` is a `SessionPolicyError<ClientErrorCode>`).
 *
 * @typeParam C - the codes this error class may carry.
 * @public
 */
export class SessionPolicyError<C extends string = ErrorCode> extends Error {
  /** The stable code of this error. */
  readonly code: C;

  /**
   * @param code - the stable code.
   * @param message - what happened and what to do about it.
   * @param options - standard `ErrorOptions` (`cause`).
   */
  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The principal given cannot be turned into a principal key. @public */
export class InvalidPrincipalError extends SessionPolicyError {
  /** @param message - why the principal was refused. */
  constructor(message: string) {
    super('ERR_INVALID_PRINCIPAL', message);
  }
}

/** The session id given is not acceptable. @public */
export class InvalidSessionIdError extends SessionPolicyError {
  /** @param message - why the session id was refused. */
  constructor(message: string) {
    super('ERR_INVALID_SESSION_ID', message);
  }
}

/** An option is invalid; the message names the option and says why. @public */
export class InvalidOptionError extends SessionPolicyError {
  /** The name of the offending option. */
  readonly option: string;

  /**
   * @param option - the option's name, dotted for nested options.
   * @param message - why it is refused.
   */
  constructor(option: string, message: string) {
    super('ERR_INVALID_OPTION', `Invalid option "${option}": ${message}`);
    this.option = option;
  }
}

/**
 * The store failed. The original error is the `cause`. What the registry does about it
 * on a request check is set by the `onStoreError` option.
 *
 * @public
 */
export class StoreError extends SessionPolicyError {
  /** The operation that failed (`admit`, `check`, `list`, `end`, `endAll`, `sweep`, …). */
  readonly operation: string;

  /**
   * @param operation - the store operation that failed.
   * @param cause - the underlying error.
   * @param message - optional message; a default names the operation.
   */
  constructor(operation: string, cause?: unknown, message?: string) {
    super('ERR_STORE', message ?? `Session store failed during "${operation}": ${describe(cause)}`, { cause });
    this.operation = operation;
  }
}

/** A value under one of our keys is not a record this library wrote. @public */
export class CorruptRecordError extends SessionPolicyError {
  /** The storage key holding the bad value. */
  readonly key: string;

  /**
   * @param key - the storage key holding the bad value.
   * @param message - what is wrong with the value.
   */
  constructor(key: string, message: string) {
    super('ERR_CORRUPT_RECORD', `Ignored a corrupt record under "${key}": ${message}`);
    this.key = key;
  }
}

/** The registry or store has been closed. @public */
export class ClosedError extends SessionPolicyError {
  /** @param what - what was closed. */
  constructor(what: string) {
    super('ERR_CLOSED', `${what} is closed`);
  }
}

function describe(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

/**
 * Wraps anything thrown by a store into a {@link StoreError}, leaving errors that are
 * already ours (invalid input, closed) as they are.
 *
 * @param operation - the store operation that failed.
 * @param error - what was thrown.
 * @public
 */
export function toStoreError(operation: string, error: unknown): SessionPolicyError {
  if (error instanceof SessionPolicyError) return error;
  return new StoreError(operation, error);
}

/**
 * The middleware is set up where it cannot enforce anything: mounted before the session
 * middleware, without it, or on routes that never authenticate. Thrown on the first
 * request that shows it, instead of letting every session through unchecked; the message
 * says what to change.
 *
 * @public
 */
export class MisconfiguredError extends SessionPolicyError {
  /** @param message - what is wrong and how to fix it. */
  constructor(message: string) {
    super('ERR_MISCONFIGURED', message);
  }
}
