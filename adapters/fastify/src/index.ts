/**
 * The Fastify plugin (Fastify 5) for session-policy: the check in an `onRequest` hook
 * after the session plugin's, and the helpers on `request.sessionPolicy`. Works with
 * @fastify/session (server-side sessions, with @fastify/cookie) and with
 * @fastify/secure-session (the whole session in an encrypted cookie; the plugin keeps an
 * id of its own in it, so a copy of the cookie taken before a logout, eviction or
 * revocation is refused) out of the box.
 *
 * @packageDocumentation
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import fp from 'fastify-plugin';
import { InvalidOptionError, SessionRegistry, type LiveConnections, type SessionRegistryOptions } from '@session-policy/core';
import {
  checkStreamRouteOptions,
  HeaderRequestInfo,
  type RequestAccess,
  RequestGate,
  markerKey,
  noSessionAnswer,
  ownedPolicy,
  rejectUnknownOptions,
  type EventStreamOptions,
  type HttpAnswer,
  type OwnedPolicyOptions,
  type RequestPolicy,
  type SessionBinding,
} from '@session-policy/core/http';
import { SecureSessionBinding, StoreSessionBinding, type SessionRequest } from './session-bindings.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The session policy helpers for this request (decorated by the session-policy plugin). */
    sessionPolicy: RequestPolicy;
  }
}

/**
 * Options of {@link sessionPolicy}: the shared {@link OwnedPolicyOptions} (redirect, custom
 * ended handler), the registry, and, for another session mechanism, how to reach it.
 * Validated when the plugin is registered.
 *
 * @public
 */
export interface FastifyPolicyOptions extends OwnedPolicyOptions {
  /**
   * The session registry, or options to create one. A registry the plugin creates is
   * closed when the server closes (`onClose`); one you pass stays yours to close.
   */
  readonly registry: SessionRegistry | SessionRegistryOptions;
  /**
   * The request's session under another mechanism. Default: @fastify/session when it is
   * registered, else @fastify/secure-session (its default session name, `session`).
   */
  readonly binding?: (request: FastifyRequest) => SessionBinding;
}

/**
 * Writes a core answer on a Fastify reply.
 *
 * @param reply - the reply.
 * @param answer - the answer.
 * @public
 */
export function sendAnswer(reply: FastifyReply, answer: HttpAnswer): FastifyReply {
  return reply.code(answer.status).headers(answer.headers).send(answer.body);
}

type Bind = (request: FastifyRequest) => SessionBinding;
type Verdict = ReturnType<RequestGate<FastifyRequest>['check']>;
// How a request gives its address and raw parts, read only when the policy needs them.
const FASTIFY_ACCESS: RequestAccess<FastifyRequest> = { ip: (request) => request.ip, raw: (request) => ({ req: request.raw, res: (request as Replied)[REPLY]!.raw }) };

/** The per-request check of a session mechanism: read straight from the session, or through the binding. */
type Check = (gate: RequestGate<FastifyRequest>, request: FastifyRequest) => Verdict;
interface Session {
  readonly sessionId?: string;
}
const sessionOf = (request: FastifyRequest) => (request as unknown as { session?: Session | null }).session;

function sessionBinding(fastify: FastifyInstance, options: FastifyPolicyOptions): { bind: Bind; check: Check } {
  if (options.binding !== undefined) {
    if (typeof options.binding !== 'function') throw new InvalidOptionError('binding', 'must be a function (request) => SessionBinding');
    return { bind: options.binding, check: (gate, request) => gate.checkThroughBinding(request) };
  }
  // Both plugins decorate `request.session`; @fastify/session also `request.sessionStore`,
  // @fastify/secure-session the instance's `decodeSecureSession`.
  if (fastify.hasRequestDecorator('session')) {
    if (fastify.hasRequestDecorator('sessionStore')) {
      return {
        bind: (request) => new StoreSessionBinding(request as unknown as SessionRequest<never>),
        check: (gate, request) => {
          const session = sessionOf(request);
          return gate.check(request, session?.sessionId, markerKey(session));
        },
      };
    }
    if (fastify.hasDecorator('decodeSecureSession')) {
      return {
        bind: (request) => new SecureSessionBinding(request as unknown as SessionRequest<never>),
        check: (gate, request) => gate.checkMarker(request, sessionOf(request)),
      };
    }
  }
  throw new InvalidOptionError(
    'session',
    'no session plugin found: register @fastify/session (with @fastify/cookie) or @fastify/secure-session before @session-policy/fastify, or give options.binding',
  );
}

// The reply, for the helpers' raw response (a Fastify request does not point to its reply).
const REPLY = Symbol('session-policy.reply');
interface Replied {
  [REPLY]?: FastifyReply;
}

// Every option name, typed over the interface so that the list cannot drift from it, and
// the register options Fastify itself reads from the same object.
const OPTION_NAMES = [
  ...Object.keys({ registry: true, redirectTo: true, onEnded: true, binding: true } satisfies Record<keyof FastifyPolicyOptions, true>),
  'prefix',
  'logLevel',
  'logSerializers',
];

// Async, so that a validation error reaches `ready()` / `listen()` instead of escaping avvio.
const register: FastifyPluginAsync<FastifyPolicyOptions> = async (fastify, options) => {
  rejectUnknownOptions(options, OPTION_NAMES, 'the session-policy Fastify plugin');
  const { policy, owned, checked: { bind, check } } = ownedPolicy(options, () => sessionBinding(fastify, options));
  const gate = new RequestGate<FastifyRequest>(policy, {
    property: 'sessionPolicy',
    everyRequest: true,
    parts: (request) => ({
      binding: bind(request),
      info: new HeaderRequestInfo(request, request.headers, FASTIFY_ACCESS),
    }),
  });
  // The helpers are made when a handler first reads them (the gate's accessor, as a getter
  // decoration: Fastify defines its request properties itself), not per request.
  const { get, set } = gate.accessor();
  fastify.decorateRequest('sessionPolicy', { getter: get as () => RequestPolicy, setter: set });
  // Registered after the session plugin, so it runs after the session plugin's own onRequest.
  fastify.addHook('onRequest', function sessionPolicyCheck(request, reply, next) {
    (request as Replied)[REPLY] = reply;
    const verdict = check(gate, request);
    // Most requests are answered from memory: go on in the same tick.
    if (verdict === undefined) return next();
    if (!(verdict instanceof Promise)) return void sendAnswer(reply, verdict);
    verdict.then((answer) => (answer ? void sendAnswer(reply, answer) : next()), next);
  });
  // After the in-flight requests are done (closing it before would answer them 503).
  if (owned) fastify.addHook('onClose', () => policy.registry.close());
};

/**
 * The session-policy plugin. Register it after the session plugin (@fastify/session with
 * @fastify/cookie, or @fastify/secure-session; registering it before fails with
 * `ERR_INVALID_OPTION` naming the fix). Every request gets `request.sessionPolicy`
 * (`login`, `logout`, `logoutEverywhere`, `sessions`, `revoke`, `session`, `registry`,
 * `info.raw`); every tracked session is checked in `onRequest`: an ended session is
 * destroyed and answered per configuration, a store failure gets 503 or passes per
 * `onStoreError`.
 *
 * @example
 * ```ts
 * await app.register(fastifyCookie);
 * await app.register(fastifySession, { secret, cookieName: 'sid', saveUninitialized: false });
 * await app.register(sessionPolicy, { registry: { maxSessions: 2 } });
 * // in the login route, after checking the password:
 * const result = await request.sessionPolicy.login({ id: user }, { deviceId });
 * if (result.ok) request.session.set('user', user);
 * ```
 * @public
 */
export const sessionPolicy = fp(register, { fastify: '5.x', name: '@session-policy/fastify' });

/**
 * A route handler that opens a Server-Sent Events stream bound to the request's session
 * (`reply.hijack()`, then heartbeats, a `retry:` hint, and a final `session_ended` event
 * with the reason when the session ends anywhere). Do not change the session on this
 * route (the session plugin's cookie is not written on a hijacked reply). Signed-out
 * requests get 401.
 *
 * @example
 * ```ts
 * const live = new LiveConnections(registry);
 * app.addHook('onClose', () => live.close());
 * app.get('/events', eventStream(live));
 * ```
 * @param connections - the live connections of the plugin's registry.
 * @param options - the stream's options (connection id, `retry:`).
 * @public
 */
export function eventStream(connections: LiveConnections, options?: Omit<EventStreamOptions, 'connections' | 'session'>): RouteHandlerMethod {
  checkStreamRouteOptions(options, 'eventStream() (Fastify)');
  return function eventStreamHandler(request, reply) {
    if (!request.sessionPolicy.session) return sendAnswer(reply, noSessionAnswer());
    reply.hijack();
    request.sessionPolicy.openEventStream(connections, options);
    return reply;
  };
}
