import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  ConnectionLimitError,
  InvalidOptionError,
  LiveConnections,
  UpgradePolicy,
  refuseUpgrade,
  requestConnectionId,
  type LiveHandle,
  type LiveSessionKey,
  type UpgradeBinding,
  rejectUnknownOptions,
} from '@session-policy/core';
import { type HttpAnswer } from '@session-policy/core/http';
import { Namespace, Server, type Socket } from 'socket.io';
import { SocketIoConnection } from './socket-io-connection.js';

/**
 * Options of {@link LiveSocketIo}. Validated once, at construction.
 *
 * @public
 */
export interface LiveSocketIoOptions {
  /** The live connections manager the sockets are counted in and closed by. */
  readonly connections: LiveConnections;
  /**
   * How to read a handshake request's session (see `UpgradeBinding` in
   * `@session-policy/core`; with express-session: `sessionMiddlewareBinding(sessionMiddleware)`).
   */
  readonly binding: UpgradeBinding;
  /** The namespaces whose sockets are bound to their sessions. Default: the main namespace, `/`. */
  readonly namespaces?: readonly Namespace[];
  /** Called with each socket bound to an active session, once connected, with its handle. */
  readonly onConnection?: (socket: Socket, handle: LiveHandle) => void;
}

const OPTION_NAMES = Object.keys({ connections: true, binding: true, namespaces: true, onConnection: true } satisfies Record<keyof LiveSocketIoOptions, true>);

/**
 * The error a refused socket.io connection gets (`connect_error` on the client): its
 * `message` is the refusal's `error` (`session_ended`, `not_logged_in`,
 * `connection_limit`) and `data` the whole refusal.
 *
 * @public
 */
export interface LiveSocketIoRefusal extends Error {
  /** The refusal, as JSON. */
  readonly data: { readonly error: string; readonly [key: string]: unknown };
}

type EngineRequest = IncomingMessage & { _query?: Record<string, string> };

/**
 * socket.io sockets bound to their sessions, counted and closed by
 * {@link LiveConnections} like Server-Sent Events streams and WebSockets:
 *
 * - the Engine.IO handshake (long-polling or WebSocket) is checked by the policy before
 *   anything is opened: no session, or an ended or unknown one, is answered 401 (a
 *   WebSocket handshake is refused before the upgrade);
 * - joining a namespace attaches the socket to the manager (caps per session and per
 *   principal, shared with the other kinds; the `tab` query parameter replaces a tab's
 *   older socket); a cap in reject mode refuses with a `connect_error` whose message is
 *   `connection_limit`;
 * - events sent through the manager are socket.io events of the same name;
 * - when the session ends, here or on any process sharing the store, the socket gets a
 *   `session_ended` event `{ reason }` and is disconnected by the server, which clients
 *   do not reconnect after; a socket closed alone gets `stream_closed` `{ reason }`.
 *
 * @example
 * ```ts
 * const io = new Server(httpServer);
 * new LiveSocketIo(io, { connections: live, binding: sessionMiddlewareBinding(sessionMiddleware) });
 * ```
 * @public
 */
export class LiveSocketIo {
  /** The policy checking the handshakes' sessions. */
  readonly policy: UpgradePolicy;
  /** The manager. */
  readonly connections: LiveConnections;
  readonly #sessions = new WeakMap<IncomingMessage, LiveSessionKey>();
  readonly #pending = new WeakMap<Socket, { connection: SocketIoConnection; handle: LiveHandle }>();
  readonly #onConnection: LiveSocketIoOptions['onConnection'];

  /**
   * @param io - the socket.io server.
   * @param options - see {@link LiveSocketIoOptions}.
   */
  constructor(io: Server, options: LiveSocketIoOptions) {
    if (!(io instanceof Server)) throw new InvalidOptionError('io', 'must be a socket.io Server');
    rejectUnknownOptions(options, OPTION_NAMES, 'LiveSocketIo');
    if (!(options.connections instanceof LiveConnections)) throw new InvalidOptionError('connections', 'must be a LiveConnections');
    if (options.onConnection !== undefined && typeof options.onConnection !== 'function') {
      throw new InvalidOptionError('onConnection', 'must be a function (socket, handle) => void');
    }
    const namespaces = options.namespaces ?? [io.of('/')];
    if (!Array.isArray(namespaces) || namespaces.some((n) => !(n instanceof Namespace))) {
      throw new InvalidOptionError('namespaces', 'must be an array of socket.io namespaces');
    }
    this.connections = options.connections;
    this.policy = new UpgradePolicy({ registry: options.connections.registry, binding: options.binding });
    this.#onConnection = options.onConnection;
    io.engine.use((req: EngineRequest, res: ServerResponse, next: (error?: Error) => void) => {
      this.#handshake(req, res, next).catch((error: unknown) => next(error instanceof Error ? error : new Error(String(error))));
    });
    for (const namespace of namespaces) {
      namespace.use((socket: Socket, next: (error?: Error) => void) => this.#join(socket, next));
      namespace.on('connection', (socket: Socket) => this.#connected(socket));
    }
  }

  // Engine.IO: every HTTP request and upgrade; only handshakes (no `sid` yet) are checked.
  async #handshake(req: EngineRequest, res: ServerResponse, next: (error?: Error) => void): Promise<void> {
    const query = req._query ?? Object.fromEntries(new URL(req.url ?? '/', 'http://localhost').searchParams);
    if (query.sid !== undefined) return next();
    const verdict = await this.policy.authorize(req);
    if (verdict.ok) {
      this.#sessions.set(req, verdict.session);
      return next();
    }
    // The answer is written here and `next` is never called: Engine.IO would answer 400.
    refuse(res, verdict.answer);
  }

  // A namespace's middleware: attach to the manager, or refuse with a connect_error.
  #join(socket: Socket, next: (error?: Error) => void): void {
    const session = this.#sessions.get(socket.request);
    if (!session) return next(refusal({ error: 'not_logged_in' }));
    const connection = new SocketIoConnection(socket);
    let handle: LiveHandle;
    try {
      const connectionId = requestConnectionId(socket.request);
      handle = this.connections.attach(session, connection, connectionId === undefined ? {} : { connectionId });
    } catch (error) {
      if (error instanceof ConnectionLimitError) return next(refusal({ error: 'connection_limit', scope: error.scope, limit: error.limit }));
      return next(refusal({ error: 'live_connections_closed' }));
    }
    if (!handle.attached) return next(refusal({ error: 'session_ended', reason: connection.endReason ?? 'unknown' }));
    socket.conn.once('close', () => handle.detach());
    socket.once('disconnect', () => handle.detach());
    this.#pending.set(socket, { connection, handle });
    next();
  }

  #connected(socket: Socket): void {
    const bound = this.#pending.get(socket);
    if (!bound) return;
    this.#pending.delete(socket);
    bound.connection.connected();
    if (bound.handle.attached) this.#onConnection?.(socket, bound.handle);
  }
}

function refuse(res: ServerResponse, answer: HttpAnswer): void {
  // A WebSocket handshake: Engine.IO hands the middleware a stand-in response over the raw socket.
  if (!(res instanceof ServerResponse)) {
    refuseUpgrade((res as unknown as { socket: Duplex }).socket, answer);
    return;
  }
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}

function refusal(data: LiveSocketIoRefusal['data']): LiveSocketIoRefusal {
  return Object.assign(new Error(data.error), { data });
}
