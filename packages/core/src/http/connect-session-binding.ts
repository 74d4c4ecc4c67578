import { InvalidOptionError } from '../errors.js';
import type { SessionBinding } from './session-binding.js';
import { markerKey, markerValue, SESSION_MARKER } from './session-marker.js';

/**
 * The parts of express-session's `req.session` that {@link ConnectSessionBinding} uses
 * (express-session's types are not required).
 *
 * @public
 */
export interface ConnectSession {
  /** The session data. */
  [key: string]: unknown;
  /** Replaces the session with a fresh one under a new id. */
  regenerate?(callback: (error?: unknown) => void): void;
  /** Destroys the session. */
  destroy?(callback: (error?: unknown) => void): void;
}

/**
 * What express-session (or a session middleware of its shape) puts on a request.
 *
 * @public
 */
export interface ConnectSessionRequest {
  /** The session (`undefined` before the middleware ran). */
  session?: ConnectSession | undefined;
  /** Its id. */
  sessionID?: string | undefined;
}

const MISSING = 'express-session must run before the session-policy middleware';

/**
 * The {@link SessionBinding} of express-session (or any session middleware that sets
 * `req.session` and `req.sessionID` the same way), for the Express adapter's requests and
 * for upgrade requests alike: the id is `req.sessionID`, the principal key lives in the
 * session data. `regenerate()` replaces `req.session`, so it is read afresh each time.
 *
 * @public
 */
export class ConnectSessionBinding implements SessionBinding {
  readonly #req: ConnectSessionRequest;

  /** @param req - the request the session middleware ran on. */
  constructor(req: ConnectSessionRequest) {
    this.#req = req;
  }

  /** `req.sessionID`, while the request has a session. */
  id(): string | undefined {
    return this.#req.session ? this.#req.sessionID : undefined;
  }

  /** The principal key in the session data. */
  principalKey(): string | undefined {
    return markerKey(this.#req.session);
  }

  /** Writes the principal key into the session data. */
  setPrincipalKey(key: string): void {
    const session = this.#req.session;
    if (!session) throw new InvalidOptionError('session', MISSING);
    session[SESSION_MARKER] = markerValue({ key });
  }

  /** `req.session.regenerate()`: a fresh, empty session with a new id. */
  regenerate(): Promise<void> {
    return call(this.#req.session, 'regenerate');
  }

  /** `req.session.destroy()` (nothing to do without a session). */
  destroy(): Promise<void> {
    return call(this.#req.session, 'destroy');
  }
}

function call(session: ConnectSession | undefined, method: 'regenerate' | 'destroy'): Promise<void> {
  const run = session?.[method];
  if (typeof run !== 'function') {
    return method === 'destroy' ? Promise.resolve() : Promise.reject(new InvalidOptionError('session', MISSING));
  }
  return new Promise((resolve, reject) => run.call(session, (error) => (error ? reject(error) : resolve())));
}
