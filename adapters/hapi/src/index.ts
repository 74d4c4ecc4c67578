/**
 * The hapi plugin (hapi 21) for session-policy: the check at `onCredentials` (the point of
 * the lifecycle where the session's credentials are known), and the helpers on
 * `request.sessionPolicy`. Works with @hapi/cookie out of the box.
 *
 * @hapi/cookie keeps the whole session in an encrypted cookie and has no server-side id,
 * so the plugin keeps an id of its own inside the session (`sessionPolicy: [id, key]`, 144 random
 * bits, issued at each login), next to the principal key. That id is what the registry
 * tracks: a copy of the cookie made before a logout, eviction or revocation is refused.
 *
 * @packageDocumentation
 */
import { createRequire } from 'node:module';
import type { Plugin, Request, ResponseToolkit, Server } from '@hapi/hapi';
import { InvalidOptionError, MisconfiguredError, SessionRegistry, type LiveConnections, type SessionRegistryOptions } from '@session-policy/core';
import {
  checkStreamRouteOptions,
  HeaderRequestInfo,
  type RequestAccess,
  MarkerSessionBinding,
  RequestGate,
  SESSION_MARKER,
  markerValue,
  noSessionAnswer,
  ownedPolicy,
  rejectUnknownOptions,
  type EventStreamOptions,
  type HttpAnswer,
  type OwnedPolicyOptions,
  type RequestPolicy,
  type SessionBinding,
  type SessionMarker,
} from '@session-policy/core/http';

declare module '@hapi/hapi' {
  interface Request {
    /** The session policy helpers for this request (decorated by the session-policy plugin). */
    sessionPolicy: RequestPolicy;
  }
}

/**
 * Options of the {@link plugin}: the shared {@link OwnedPolicyOptions} (redirect, custom
 * ended handler), the registry, and how to reach the session.
 *
 * @public
 */
export interface HapiPolicyOptions extends OwnedPolicyOptions {
  /**
   * The session registry, or options to create one. A registry the plugin creates is
   * closed when the server stops; one you pass stays yours to close.
   */
  readonly registry: SessionRegistry | SessionRegistryOptions;
  /** The name of @hapi/cookie's request decoration (its `requestDecoratorName`). Default `cookieAuth`. */
  readonly cookieDecoration?: string;
  /** The request's session under another mechanism (@hapi/yar, …). Default: @hapi/cookie. */
  readonly binding?: (request: Request) => SessionBinding;
}

// Every option name, typed over the interface so that the list cannot drift from it.
const OPTION_NAMES: Record<keyof HapiPolicyOptions, true> = { registry: true, redirectTo: true, onEnded: true, cookieDecoration: true, binding: true };

/** The @hapi/cookie decoration's parts the binding uses. */
type CookieAuth = { set(session: object): void; clear(): void };

/** @hapi/cookie: our own id and the principal key live in the cookie's session. */
class CookieBinding extends MarkerSessionBinding {
  constructor(
    private readonly request: Request,
    private readonly decoration: string,
  ) {
    super();
  }

  protected data(): unknown {
    return this.request.auth.artifacts;
  }

  protected writeMarker(marker: SessionMarker): void {
    this.#cookieAuth().set({ ...(this.request.auth.artifacts ?? {}), [SESSION_MARKER]: markerValue(marker) });
  }

  protected clear(): void {
    this.#cookieAuth().clear();
  }

  protected drop(): void {
    this.#cookieAuth().clear();
  }

  #cookieAuth(): CookieAuth {
    const auth = (this.request as unknown as Record<string, CookieAuth | undefined>)[this.decoration];
    if (!auth) throw new InvalidOptionError('cookieDecoration', `request.${this.decoration} is missing: register @hapi/cookie and a cookie strategy first`);
    return auth;
  }
}

/**
 * Turns a core answer into a hapi response.
 *
 * @param h - the response toolkit.
 * @param answer - the answer.
 * @public
 */
export function toResponse(h: ResponseToolkit, answer: HttpAnswer) {
  const response = h.response(answer.body).code(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) response.header(name, value);
  return response;
}

function validate(options: HapiPolicyOptions) {
  rejectUnknownOptions(options, Object.keys(OPTION_NAMES), 'the session-policy hapi plugin');
  return ownedPolicy(options, () => {
    const decoration = options.cookieDecoration ?? 'cookieAuth';
    if (typeof decoration !== 'string' || decoration === '') throw new InvalidOptionError('cookieDecoration', 'must be a non-empty string');
    if (options.binding !== undefined && typeof options.binding !== 'function') {
      throw new InvalidOptionError('binding', 'must be a function (request) => SessionBinding');
    }
    return { bind: options.binding, decoration };
  });
}

const pkg = createRequire(import.meta.url)('../package.json') as { name: string; version: string };

// How a request gives its address and raw parts, read only when the policy needs them.
const HAPI_ACCESS: RequestAccess<Request> = { ip: (request) => request.info.remoteAddress, raw: (request) => request.raw };

/**
 * The session-policy plugin. Register it after @hapi/cookie. Every request gets
 * `request.sessionPolicy` (`login`, `logout`, `logoutEverywhere`, `sessions`, `revoke`,
 * `session`, `registry`, `info.raw`); every request that authenticates (any auth mode,
 * `try` included) has its tracked session checked at `onCredentials`: an ended session is
 * cleared and answered per configuration, a store failure gets 503 or passes per
 * `onStoreError`. Routes with `auth: false` are not checked.
 *
 * @example
 * ```ts
 * await server.register(Cookie);
 * server.auth.strategy('session', 'cookie', { cookie: { password, isSecure: false } });
 * server.auth.default({ strategy: 'session', mode: 'try' });
 * await server.register({ plugin, options: { registry: { maxSessions: 2 } } });
 * // in the login handler, after checking the password:
 * const result = await request.sessionPolicy.login(user, { deviceId });
 * if (result.ok) request.cookieAuth.set('user', user.id);
 * ```
 * @public
 */
export const plugin: Plugin<HapiPolicyOptions> = {
  name: pkg.name,
  version: pkg.version,
  requirements: { hapi: '>=21.0.0', node: '>=20.19.0' },
  register(server: Server, options: HapiPolicyOptions) {
    const { policy, owned, checked: { bind, decoration } } = validate(options);
    const gate = new RequestGate<Request>(policy, {
      property: 'sessionPolicy',
      everyRequest: true,
      parts: (request) => ({
        binding: bind ? bind(request) : new CookieBinding(request, decoration),
        info: new HeaderRequestInfo(request, request.headers, HAPI_ACCESS),
      }),
    });
    // The helpers are made when a handler first reads them: an accessor on the server's
    // request class (hapi's own decoration, reserved here, then turned into the accessor),
    // rather than an `apply: true` decoration, which runs for every request.
    const requestClass = (server as unknown as { _core?: { Request?: { prototype?: object } } })._core?.Request?.prototype;
    if (requestClass) {
      server.decorate('request', 'sessionPolicy', null as unknown as RequestPolicy);
      gate.install(requestClass);
    } else server.decorate('request', 'sessionPolicy', (request: Request) => gate.helpers(request), { apply: true });
    server.ext('onCredentials', (request, h) => {
      if (!bind && !(request as unknown as Record<string, unknown>)[decoration]) {
        throw new MisconfiguredError(`request.${decoration} is missing: register @hapi/cookie (await server.register(Cookie)) and its strategy, or pass \`cookieDecoration\` / \`binding\`.`);
      }
      const verdict = bind ? gate.checkThroughBinding(request) : gate.checkMarker(request, request.auth.artifacts);
      // Most requests are answered from memory: continue without waiting for a promise.
      if (verdict === undefined) return h.continue;
      if (!(verdict instanceof Promise)) return toResponse(h, verdict).takeover();
      return verdict.then((answer) => (answer ? toResponse(h, answer).takeover() : h.continue));
    });
    // A route that never authenticates is never checked: refused when the server starts
    // (not per request, which would cost every request an extension point).
    server.ext('onPreStart', () => {
      for (const route of server.table()) {
        if ((route.settings.auth as unknown) === false || (server.auth as unknown as { lookup(route: unknown): unknown }).lookup(route)) continue;
        throw new MisconfiguredError(
          `${route.method.toUpperCase()} ${route.path} does not authenticate, so the session policy never checks it: ` +
            "set a default strategy (server.auth.default({ strategy: 'session', mode: 'try' })) or auth on the route; say auth: false on routes the policy must not check.",
        );
      }
    });
    // Nothing the plugin opened holds connections, so onPreStop has nothing to release; a
    // registry it created is closed after the in-flight requests are done (closing it
    // before would answer them 503).
    if (owned) server.ext('onPostStop', () => policy.registry.close());
  },
};

/**
 * A route handler that opens a Server-Sent Events stream bound to the request's session
 * on `request.raw` and returns `h.abandon`. The route must authenticate (`auth` mode
 * `try` or `required`) so the plugin's check runs. Signed-out requests get 401.
 *
 * @param connections - the live connections of the plugin's registry.
 * @param options - the stream's options (connection id, `retry:`).
 * @public
 */
export function eventStreamHandler(connections: LiveConnections, options?: Omit<EventStreamOptions, 'connections' | 'session'>) {
  checkStreamRouteOptions(options, 'eventStreamHandler() (hapi)');
  return (request: Request, h: ResponseToolkit) => {
    if (request.sessionPolicy.openEventStream(connections, options) === 'no-session') return toResponse(h, noSessionAnswer());
    return h.abandon;
  };
}
