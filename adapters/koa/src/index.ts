/**
 * Koa middleware (Koa 2 and 3) for session-policy: the per-request check, and the helpers
 * on `ctx.sessionPolicy`. Works with koa-session out of the box, in cookie mode and in
 * external-store mode alike.
 *
 * koa-session's cookie mode keeps the whole session in the cookie and has no server-side
 * id, so the adapter keeps an id of its own inside the session data (`sessionPolicy: [id, key]`,
 * 144 random bits, issued at each login), next to the principal key. That id is what the
 * registry tracks: a copy of the cookie made before a logout, eviction or revocation is
 * refused by the registry, which the cookie alone could never do. In external-store mode
 * the same id is used, and the store's key is rotated at login too.
 *
 * @packageDocumentation
 */
import type { Context, Middleware } from 'koa';
import { InvalidOptionError, MisconfiguredError, type LiveConnections } from '@session-policy/core';
import {
  checkStreamRouteOptions,
  HttpPolicy,
  noSessionAnswer,
  rejectUnknownOptions,
  type EventStreamOptions,
  RequestGate,
  SESSION_MARKER,
  markerValue,
  type HttpAnswer,
  type HttpPolicyOptions,
  HeaderRequestInfo,
  type RequestAccess,
  type RequestPolicy,
  type SessionBinding,
  MarkerSessionBinding,
  type SessionMarker,
} from '@session-policy/core/http';

declare module 'koa' {
  interface DefaultContext {
    /** The session policy helpers for this request (set by the session-policy middleware). */
    sessionPolicy: RequestPolicy;
  }
}

/**
 * Options of {@link sessionPolicy}: the shared {@link HttpPolicyOptions} (registry,
 * redirect, custom ended handler) and, for a session mechanism other than koa-session,
 * how to reach it.
 *
 * @public
 */
export interface KoaPolicyOptions extends HttpPolicyOptions {
  /** The request's session under another mechanism. Default: koa-session's `ctx.session`. */
  readonly binding?: (ctx: Context) => SessionBinding;
}

// Every option name, typed over the interface so that the list cannot drift from it.
const OPTION_NAMES: Record<keyof KoaPolicyOptions, true> = { registry: true, redirectTo: true, onEnded: true, binding: true };

// koa-session keeps its per-request state on the context under a symbol, created by its
// middleware (or by a first read of ctx.session); 6.x and 7.x name it differently.
const KOA_SESSION_STATE = new Set(['contextSession instance', 'context#_contextSession']);

/**
 * Whether koa-session is set up and its middleware ran before ours: without it, a
 * session read here is empty (external store) and a destroyed session is never
 * committed, so every check would be silently off.
 */
function assertKoaSession(ctx: Context): void {
  if (!('session' in ctx)) {
    throw new MisconfiguredError('ctx.session is missing: install koa-session with app.use(session(options, app)) before app.use(sessionPolicy(…)), or pass `binding` for another session middleware.');
  }
  if (!Object.getOwnPropertySymbols(ctx).some((symbol) => KOA_SESSION_STATE.has(symbol.description ?? ''))) {
    throw new MisconfiguredError('koa-session has not run for this request: app.use(session(options, app)) must come before app.use(sessionPolicy(…)).');
  }
}

/** The koa-session parts the binding uses. */
interface KoaSession {
  [key: string]: unknown;
  readonly externalKey?: string;
  regenerate(): Promise<void>;
  toJSON?(): Record<string, unknown>;
}

/** koa-session: our own id and the principal key live in the session data. */
class KoaSessionBinding extends MarkerSessionBinding {
  constructor(private readonly ctx: { session?: KoaSession | null }) {
    super();
  }

  protected data(): unknown {
    return this.ctx.session;
  }

  protected writeMarker(marker: SessionMarker): void {
    this.#session()[SESSION_MARKER] = markerValue(marker);
  }

  protected async clear(): Promise<void> {
    const session = this.#session();
    // The session's data only: koa-session keeps its own state in `_`-prefixed fields.
    for (const name of Object.keys(session.toJSON?.() ?? session)) delete session[name];
    // External-store mode: a new store key too, and the old one destroyed.
    if (session.externalKey !== undefined) await session.regenerate();
  }

  protected drop(): void {
    this.ctx.session = null;
  }

  #session(): KoaSession {
    const session = this.ctx.session;
    if (!session) throw new InvalidOptionError('session', 'koa-session must run before the session-policy middleware');
    return session;
  }
}

/**
 * Writes a core answer on a Koa context.
 *
 * @param ctx - the context.
 * @param answer - the answer.
 * @public
 */
export function sendAnswer(ctx: Context, answer: HttpAnswer): void {
  ctx.status = answer.status;
  ctx.set(answer.headers as Record<string, string>);
  ctx.body = answer.body;
}

// How a context gives its address and raw parts, read only when the policy needs them.
const KOA_ACCESS: RequestAccess<Context> = { ip: (ctx) => ctx.ip, raw: (ctx) => ({ req: ctx.req, res: ctx.res }) };

/**
 * The session-policy middleware. Put it after koa-session and before your routes: it
 * checks every tracked session (ended → destroyed and answered per configuration; store
 * failure → 503 or pass per `onStoreError`), lets everything else through, and sets
 * `ctx.sessionPolicy` (`login`, `logout`, `logoutEverywhere`, `sessions`, `revoke`,
 * `session`, `registry`, `info.raw`).
 *
 * @example
 * ```ts
 * app.keys = [secret];
 * app.use(session({ key: 'sid' }, app));
 * app.use(sessionPolicy({ registry: new SessionRegistry({ maxSessions: 2 }) }));
 * // in the login route, after checking the password:
 * const result = await ctx.sessionPolicy.login(user, { deviceId });
 * if (result.ok) ctx.session.user = user.id;
 * ```
 * @param options - see {@link KoaPolicyOptions}.
 * @public
 */
export function sessionPolicy(options: KoaPolicyOptions): Middleware {
  if (options !== null && typeof options === 'object') rejectUnknownOptions(options, Object.keys(OPTION_NAMES), 'sessionPolicy() (Koa)');
  const policy = new HttpPolicy(options);
  if (options.binding !== undefined && typeof options.binding !== 'function') {
    throw new InvalidOptionError('binding', 'must be a function (ctx) => SessionBinding');
  }
  const custom = options.binding;
  // koa-session's order is the app's, the same for every request: checked on the first one.
  let verified = custom !== undefined;
  // The helpers are made when a handler first reads `ctx.sessionPolicy` (an accessor on the
  // app's context prototype): a request whose handler does not costs no object of ours.
  const gate = new RequestGate<Context>(policy, {
    property: 'sessionPolicy',
    parts: (ctx) => ({
      binding: custom ? custom(ctx) : new KoaSessionBinding(ctx as unknown as { session?: KoaSession | null }),
      info: new HeaderRequestInfo(ctx, ctx.request.headers, KOA_ACCESS),
    }),
  });
  return function sessionPolicyMiddleware(ctx, next) {
    let verdict;
    // Another mechanism: read through its binding (made for this request, kept for the helpers).
    if (custom) verdict = gate.checkThroughBinding(ctx);
    else {
      if (!verified) {
        assertKoaSession(ctx);
        verified = true;
      }
      verdict = gate.checkMarker(ctx, (ctx as unknown as { session?: KoaSession | null }).session);
    }
    // Most requests are answered from memory: go on without waiting for a promise.
    if (verdict === undefined) return next();
    if (!(verdict instanceof Promise)) return sendAnswer(ctx, verdict);
    return verdict.then((answer) => (answer ? sendAnswer(ctx, answer) : next()));
  };
}

/**
 * Middleware that opens a Server-Sent Events stream bound to the request's session (put
 * it after {@link sessionPolicy}, on the stream's route): it writes to `ctx.res` itself
 * and sets `ctx.respond = false`. Do not change the session on this route (koa-session
 * would write its cookie after the stream's headers). Signed-out requests get 401.
 *
 * @param connections - the live connections of the middleware's registry.
 * @param options - the stream's options (connection id, `retry:`).
 * @public
 */
export function eventStream(connections: LiveConnections, options?: Omit<EventStreamOptions, 'connections' | 'session'>): Middleware {
  checkStreamRouteOptions(options, 'eventStream() (Koa)');
  return (ctx) => {
    if (ctx.sessionPolicy.openEventStream(connections, options) === 'no-session') return sendAnswer(ctx, noSessionAnswer());
    ctx.respond = false;
  };
}
