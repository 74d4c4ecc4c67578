import { InvalidDetachedSessionError } from './errors.js';

/** The `type` tag of every {@link DetachedSession}. @public */
export const DETACHED_SESSION_TYPE = 'session-policy/detached-session';

/**
 * A pooled session taken out of its pool in a plain, JSON-serializable form: send it to
 * another process (a queue message, a file, an IPC channel) and attach it to a pool
 * there. It carries the session's credentials (cookies, token): treat it as a secret.
 *
 * @public
 */
export interface DetachedSession {
  /** Always {@link DETACHED_SESSION_TYPE}. */
  readonly type: typeof DETACHED_SESSION_TYPE;
  /** The format's version; 1. */
  readonly version: 1;
  /** The principal's key; attaching checks it against the principal given. */
  readonly key: string;
  /** The session's generation in the pool it left (informational). */
  readonly generation: number;
  /** What the strategy's `serialize` made of the session. */
  readonly data: unknown;
}

/**
 * Checks that `value` is a detached session of the principal with key `key`.
 *
 * @throws {@link InvalidDetachedSessionError} when it is not.
 */
export function assertDetachedSession(value: unknown, key: string): asserts value is DetachedSession {
  if (typeof value !== 'object' || value === null) throw new InvalidDetachedSessionError('not an object');
  const detached = value as Partial<DetachedSession>;
  if (detached.type !== DETACHED_SESSION_TYPE) throw new InvalidDetachedSessionError(`type is not "${DETACHED_SESSION_TYPE}"`);
  if (detached.version !== 1) throw new InvalidDetachedSessionError(`unsupported version ${String(detached.version)}`);
  if (detached.key !== key) throw new InvalidDetachedSessionError('it belongs to another principal');
  if (!('data' in detached)) throw new InvalidDetachedSessionError('it carries no session data');
}
