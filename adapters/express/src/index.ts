/**
 * Express middleware (Express 4 and 5) for session-policy: the per-request check, and the
 * helpers on `req.sessionPolicy`. Works with express-session out of the box (the session
 * id is `req.sessionID`) and with any other scheme through {@link ExpressPolicyOptions.getSessionId}.
 *
 * @packageDocumentation
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { MisconfiguredError, type LiveConnections } from '@session-policy/core';
import {
  checkStreamRouteOptions,
  ConnectSessionBinding,
  HeaderRequestInfo,
  type RequestAccess,
  HttpPolicy,
  noSessionAnswer,
  rejectUnknownOptions,
  type ConnectSessionRequest,
  type EventStreamOptions,
  RequestGate,
  SchemeBinding,
  markerKey,
  type HttpAnswer,
  type HttpPolicyOptions,
  type RequestPolicy,
} from '@session-policy/core/http';

export { LoginRefusedError, admittedLogin, passportPolicy, type PassportPolicyOptions } from './passport.js';

declare global {
  namespace Express {
    interface Request {
      /** The session policy helpers for this request (set by the session-policy middleware). */
      sessionPolicy: RequestPolicy;
    }
  }
}

/**
 * Options of {@link sessionPolicy}: the shared {@link HttpPolicyOptions} (registry,
 * redirect, custom ended handler) and, for session schemes other than express-session,
 * how to read the session.
 *
 * @public
 */
export interface ExpressPolicyOptions extends HttpPolicyOptions {
  /**
   * The request's session id under another scheme (a JWT's `jti`, …). Give it with
   * {@link getPrincipalKey}; express-session is then not used. Without rotation at login:
   * issue the new token's id before calling `login()` so that this function returns it.
   */
  readonly getSessionId?: (req: Request) => string | undefined;
  /** The principal key the request's session belongs to (a JWT's `sub`, …), or `undefined` when anonymous. */
  readonly getPrincipalKey?: (req: Request) => string | undefined;
  /** Ends the session under another scheme (clear the token cookie, …). Default: nothing. */
  readonly destroySession?: (req: Request, res: Response) => void | Promise<void>;
}

// Every option name, typed over the interface so that the list cannot drift from it.
const OPTION_NAMES: Record<keyof ExpressPolicyOptions, true> = {
  registry: true,
  redirectTo: true,
  onEnded: true,
  getSessionId: true,
  getPrincipalKey: true,
  destroySession: true,
};

const noSession = () =>
  new MisconfiguredError(
  'req.session is missing: express-session must run before the session-policy middleware. ' +
    'Mount app.use(session(…)) first, then app.use(sessionPolicy(…)) (or give getSessionId and getPrincipalKey for another scheme).',
);

/**
 * Writes a core answer on an Express response.
 *
 * @param res - the response.
 * @param answer - the answer.
 * @public
 */
export function sendAnswer(res: Response, answer: HttpAnswer): void {
  res.status(answer.status).set(answer.headers).end(answer.body);
}

// How a request gives its address and raw parts (`req.ip` is not free: read only when the policy needs it).
const EXPRESS_ACCESS: RequestAccess<Request> = { ip: (req) => req.ip, raw: (req) => ({ req, res: req.res! }) };

/**
 * The session-policy middleware. Put it after the session middleware (express-session)
 * and before your routes: it checks every tracked session (ended → destroyed and answered
 * per configuration; store failure → 503 or pass per `onStoreError`), lets everything
 * else through, and sets `req.sessionPolicy` (`login`, `logout`, `logoutEverywhere`,
 * `sessions`, `revoke`, `session`, `registry`, `info.raw`).
 *
 * @example
 * ```ts
 * app.use(express.json()); // the login below reads req.body
 * app.use(session({ secret, resave: false, saveUninitialized: false }));
 * app.use(sessionPolicy({ registry: new SessionRegistry({ maxSessions: 2 }) }));
 * app.post('/login', async (req, res) => {
 *   const result = await req.sessionPolicy.login(user, { deviceId: req.body.deviceId });
 *   if (!result.ok) return res.status(409).json({ holders: result.holders });
 *   req.session.user = user.id;
 *   res.json({ ok: true });
 * });
 * ```
 * @param options - see {@link ExpressPolicyOptions}.
 * @public
 */
export function sessionPolicy(options: ExpressPolicyOptions): RequestHandler {
  if (options !== null && typeof options === 'object') rejectUnknownOptions(options, Object.keys(OPTION_NAMES), 'sessionPolicy() (Express)');
  const policy = new HttpPolicy(options);
  const custom = SchemeBinding.validate(options);
  // The helpers are made when a handler first reads `req.sessionPolicy` (an accessor on the
  // app's request prototype): a request whose handler does not costs no object of ours.
  const gate = new RequestGate<Request>(policy, {
    property: 'sessionPolicy',
    parts: (req) => ({
      binding: custom ? new SchemeBinding(req, req.res!, options) : new ConnectSessionBinding(req as unknown as ConnectSessionRequest),
      info: new HeaderRequestInfo(req, req.headers, EXPRESS_ACCESS),
    }),
  });
  return function sessionPolicyMiddleware(req: Request, res: Response, next: NextFunction): void {
    let verdict;
    if (custom) {
      const key = options.getPrincipalKey!(req);
      verdict = gate.check(req, key === undefined ? undefined : options.getSessionId!(req), key);
    } else {
      const { session, sessionID } = req as unknown as ConnectSessionRequest;
      // Mounted before express-session, every session would pass unchecked: refuse loudly.
      if (session === undefined) return next(noSession());
      verdict = gate.check(req, session ? sessionID : undefined, markerKey(session));
    }
    // Most requests are answered from memory: let them through in the same tick.
    if (verdict === undefined) return next();
    if (!(verdict instanceof Promise)) return sendAnswer(res, verdict);
    verdict.then((answer) => (answer ? sendAnswer(res, answer) : next()), next);
  };
}

/**
 * A route handler that opens a Server-Sent Events stream bound to the request's session
 * (put it after {@link sessionPolicy}): `text/event-stream`, heartbeats, a `retry:` hint,
 * and a final `session_ended` event with the reason when the session ends anywhere.
 * Signed-out requests get 401.
 *
 * @example
 * ```ts
 * const live = new LiveConnections(registry);
 * app.get('/events', eventStream(live));
 * ```
 * @param connections - the live connections of the middleware's registry.
 * @param options - the stream's options (connection id, `retry:`).
 * @public
 */
export function eventStream(connections: LiveConnections, options?: Omit<EventStreamOptions, 'connections' | 'session'>): RequestHandler {
  checkStreamRouteOptions(options, 'eventStream() (Express)');
  return (req, res) => {
    if (req.sessionPolicy.openEventStream(connections, options) === 'no-session') sendAnswer(res, noSessionAnswer());
  };
}
