import { ServerResponse, STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { InvalidOptionError } from '../errors.js';
import { rejectUnknownOptions } from '../unknown-options.js';
import { endedAnswer, noSessionAnswer, storeUnavailableAnswer, type EndedReason, type HttpAnswer } from '../http/answers.js';
import { checkVerdict, reportError } from '../http/check-verdict.js';
import type { SessionBinding } from '../http/session-binding.js';
import { ConnectSessionBinding, type ConnectSessionRequest } from '../http/connect-session-binding.js';
import { SessionRegistry, type CheckResult } from '../registry.js';
import type { LiveSessionKey } from './live-connections.js';

/**
 * How an upgrade request's session is read: a {@link SessionBinding} over the request
 * (the same interface the adapters implement), or `undefined` when the request carries
 * no session at all. May be asynchronous (a session middleware loading the session
 * from its store first; see {@link sessionMiddlewareBinding}).
 *
 * @public
 */
export type UpgradeBinding = (req: IncomingMessage) => SessionBinding | undefined | Promise<SessionBinding | undefined>;

/**
 * Options of {@link UpgradePolicy}. Validated once, at construction.
 *
 * @public
 */
export interface UpgradePolicyOptions {
  /** The registry that holds the policy (the same one the HTTP middleware uses). */
  readonly registry: SessionRegistry;
  /** How to read the upgrade request's session; see {@link UpgradeBinding}. */
  readonly binding: UpgradeBinding;
}

/**
 * The verdict on an upgrade request (a WebSocket handshake, a socket.io handshake).
 *
 * - `ok: true`: the session is active; bind the socket to `session`.
 * - `ok: false`: refuse the upgrade with `answer` (401 for no session or an ended one,
 *   with `{ error: 'session_ended', reason }` or `{ error: 'not_logged_in' }`; 503 when
 *   the store cannot tell and the policy fails closed). `reason` says why, for logs.
 *
 * @public
 */
export type UpgradeVerdict =
  | { readonly ok: true; readonly session: LiveSessionKey }
  | { readonly ok: false; readonly reason: EndedReason | 'not_logged_in' | 'unavailable'; readonly answer: HttpAnswer };

/**
 * The session check of long-lived connections opened by an upgrade (WebSockets,
 * socket.io): the upgrade request never goes through the web framework's middleware, so
 * this reads its session through an {@link UpgradeBinding} and checks it against the
 * registry as the adapters check a request: an active session passes, an ended or
 * unknown one is refused (and left in its session library: a browser cannot read the
 * refusal, so the next HTTP request must still be told why the session ended), a request
 * without a tracked session is refused, and a store failure follows the registry's
 * `onStoreError`.
 *
 * @example
 * ```ts
 * const gate = new UpgradePolicy({ registry, binding: sessionMiddlewareBinding(sessionMiddleware) });
 * server.on('upgrade', async (req, socket, head) => {
 *   const verdict = await gate.authorize(req);
 *   if (!verdict.ok) return refuseUpgrade(socket, verdict.answer);
 *   // … complete the upgrade and attach the socket to verdict.session
 * });
 * ```
 * @public
 */
export class UpgradePolicy {
  /** The registry. */
  readonly registry: SessionRegistry;
  readonly #binding: UpgradeBinding;

  /** @param options - see {@link UpgradePolicyOptions}. */
  constructor(options: UpgradePolicyOptions) {
    rejectUnknownOptions(options, Object.keys({ registry: true, binding: true } satisfies Record<keyof UpgradePolicyOptions, true>), 'UpgradePolicy');
    if (!(options.registry instanceof SessionRegistry)) throw new InvalidOptionError('registry', 'must be a SessionRegistry');
    if (typeof options.binding !== 'function') throw new InvalidOptionError('binding', 'must be a function (req) => SessionBinding | undefined');
    this.registry = options.registry;
    this.#binding = options.binding;
  }

  /**
   * Checks an upgrade request's session. Never rejects: a binding that throws counts as
   * no session (reported through the registry's `error` event).
   *
   * @param req - the upgrade request.
   */
  async authorize(req: IncomingMessage): Promise<UpgradeVerdict> {
    let binding: SessionBinding | undefined;
    let sessionId: string | undefined;
    let principalKey: string | undefined;
    try {
      binding = await this.#binding(req);
      principalKey = binding?.principalKey();
      sessionId = principalKey === undefined ? undefined : binding?.id();
    } catch (error) {
      reportError(this.registry, error);
      return refused('not_logged_in', noSessionAnswer());
    }
    if (!binding || principalKey === undefined || sessionId === undefined) return refused('not_logged_in', noSessionAnswer());
    // From memory, an active session is the record itself (no outcome object is made).
    const peeked = this.registry.peekRequest(sessionId, principalKey);
    if (peeked !== undefined && !('status' in peeked)) return { ok: true, session: { sessionId: peeked.sessionId, principalKey: peeked.principalKey } };
    const result: CheckResult = peeked ?? (await this.registry.check(sessionId, principalKey));
    const verdict = checkVerdict(result);
    if (verdict === 'pass') {
      // Fail-open lets requests through when the store cannot tell: the socket is bound
      // to the keys the session carries, and its heartbeat checks again later.
      const session = result.status === 'active' ? result.session : { sessionId, principalKey };
      return { ok: true, session: { sessionId: session.sessionId, principalKey: session.principalKey } };
    }
    if (verdict === 'unavailable') return refused('unavailable', storeUnavailableAnswer(false));
    // The session library's session is left as it is: a browser cannot read a refused
    // handshake's answer, so the next HTTP request (the browser helper's probe) must still
    // find the session, destroy it and say why it ended.
    return refused(verdict, endedAnswer(verdict, false, '/'));
  }
}

function refused(reason: EndedReason | 'not_logged_in' | 'unavailable', answer: HttpAnswer): UpgradeVerdict {
  return { ok: false, reason, answer };
}

/**
 * Refuses an upgrade on the raw socket of Node's `upgrade` event: writes the answer as an
 * HTTP/1.1 response (`Connection: close`) and closes the socket. Nothing was upgraded, so
 * a WebSocket client sees a failed handshake with this status.
 *
 * @param socket - the upgrade's socket.
 * @param answer - the answer (from {@link UpgradeVerdict}).
 * @public
 */
export function refuseUpgrade(socket: Duplex, answer: HttpAnswer): void {
  if (socket.destroyed) return;
  const headers = { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)), connection: 'close' };
  const head = [`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.end(`${head.join('\r\n')}\r\n\r\n${answer.body}`);
  // A peer that never reads its answer must not hold the socket.
  setTimeout(() => socket.destroy(), 1_000).unref();
}

const CONNECTION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * The connection id an upgrade request names in its `tab` query parameter (the browser
 * helper sends it), when it is a valid id; `undefined` otherwise.
 *
 * @param req - the request.
 * @public
 */
export function requestConnectionId(req: IncomingMessage): string | undefined {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  if (query < 0) return undefined;
  const tab = new URLSearchParams(url.slice(query + 1)).get('tab');
  return tab !== null && CONNECTION_ID.test(tab) ? tab : undefined;
}

/**
 * A connect-style middleware (`(req, res, next) => void`), such as express-session's
 * (typed loosely so that a middleware typed for Express requests fits as it is; it is
 * called with Node's request and a response that is never sent).
 *
 * @public
 */
export type ConnectMiddleware = (req: never, res: never, next: (error?: unknown) => void) => void;

type NodeMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * An {@link UpgradeBinding} over express-session (or any session middleware that sets
 * `req.session` and `req.sessionID` the same way): runs the middleware on the upgrade
 * request (with a response that is never sent, since the upgrade has its own), then reads
 * the principal key the adapter stored at login (the Express adapter's binding,
 * {@link ConnectSessionBinding}).
 *
 * @param middleware - the same session middleware instance the app uses.
 * @public
 */
export function sessionMiddlewareBinding(middleware: ConnectMiddleware): UpgradeBinding {
  if (typeof middleware !== 'function') throw new InvalidOptionError('middleware', 'must be a session middleware (req, res, next) => void');
  return (req) =>
    new Promise<SessionBinding | undefined>((resolve, reject) => {
      (middleware as unknown as NodeMiddleware)(req, new ServerResponse(req), (error?: unknown) => {
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        const binding = new ConnectSessionBinding(req as IncomingMessage & ConnectSessionRequest);
        resolve(binding.principalKey() === undefined ? undefined : binding);
      });
    });
}
