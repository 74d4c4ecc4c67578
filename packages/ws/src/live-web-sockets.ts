import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  ConnectionLimitError,
  InvalidOptionError,
  LiveConnections,
  UpgradePolicy,
  refuseUpgrade,
  requestConnectionId,
  type LiveHandle,
  type UpgradeBinding,
  rejectUnknownOptions,
} from '@session-policy/core';
import { endedAnswer } from '@session-policy/core/http';
import { WebSocketServer, type WebSocket } from 'ws';
import { WebSocketConnection } from './websocket-connection.js';

/**
 * Options of {@link LiveWebSockets}. Validated once, at construction.
 *
 * @public
 */
export interface LiveWebSocketsOptions {
  /** The live connections manager the sockets are counted in and closed by (caps, heartbeats). */
  readonly connections: LiveConnections;
  /**
   * How to read an upgrade request's session (see `UpgradeBinding` in
   * `@session-policy/core`; with express-session: `sessionMiddlewareBinding(sessionMiddleware)`).
   */
  readonly binding: UpgradeBinding;
  /**
   * The path whose upgrades {@link LiveWebSockets.listen} takes (the query string is
   * ignored); other upgrades are left to other listeners. Default: every upgrade.
   */
  readonly path?: string;
  /**
   * The `ws` server that completes the handshakes, for its own options (`maxPayload`,
   * `perMessageDeflate`, …). It must be made with `noServer: true`. Default: a new one.
   */
  readonly server?: WebSocketServer;
  /**
   * Called with each socket bound to an active session, with its handle (the session's
   * keys; `handle.send` sends an event frame) and the upgrade request: the place to
   * listen to the client's messages.
   */
  readonly onConnection?: (socket: WebSocket, handle: LiveHandle, req: IncomingMessage) => void;
}

const OPTION_NAMES = Object.keys({ connections: true, binding: true, path: true, server: true, onConnection: true } satisfies Record<keyof LiveWebSocketsOptions, true>);

/**
 * WebSockets (the `ws` library) bound to their sessions, counted and closed by
 * {@link LiveConnections} like Server-Sent Events streams:
 *
 * - the handshake's session (its cookie) is checked by the policy before anything is
 *   upgraded: no session, or an ended or unknown one, is refused with 401
 *   (`{ error: 'session_ended', reason }` or `{ error: 'not_logged_in' }`); a connection
 *   cap in reject mode refuses with 409 (`{ error: 'connection_limit', scope, limit }`);
 * - the socket counts against the manager's per-session and per-principal caps, and a
 *   socket of the same tab (the `tab` query parameter) replaces the older one;
 * - events are text frames `{"event": name, "data": data}`;
 * - when the session ends, here or on any process sharing the store, the socket gets a
 *   final `session_ended` frame and is closed with code {@link CLOSE_SESSION_ENDED}
 *   (4401) and the end reason as the close reason; a socket closed alone (replaced,
 *   evicted by a cap) gets {@link CLOSE_STREAM_CLOSED} (4409); a manager shutting down
 *   closes with {@link CLOSE_GOING_AWAY} (1001);
 * - ws pings on the manager's heartbeat; a peer that misses a pong is terminated.
 *
 * @example
 * ```ts
 * const live = new LiveConnections(registry, { maxPerSession: 3 });
 * const sockets = new LiveWebSockets({ connections: live, binding: sessionMiddlewareBinding(sessionMiddleware), path: '/live' });
 * sockets.listen(httpServer);
 * ```
 * @public
 */
export class LiveWebSockets {
  /** The `ws` server completing the handshakes. */
  readonly wss: WebSocketServer;
  /** The policy checking the handshakes' sessions. */
  readonly policy: UpgradePolicy;
  /** The manager. */
  readonly connections: LiveConnections;
  readonly #path: string | undefined;
  readonly #onConnection: LiveWebSocketsOptions['onConnection'];
  readonly #listening = new Map<Server, (req: IncomingMessage, socket: Duplex, head: Buffer) => void>();

  /** @param options - see {@link LiveWebSocketsOptions}. */
  constructor(options: LiveWebSocketsOptions) {
    rejectUnknownOptions(options, OPTION_NAMES, 'LiveWebSockets');
    if (!(options.connections instanceof LiveConnections)) throw new InvalidOptionError('connections', 'must be a LiveConnections');
    if (options.path !== undefined && (typeof options.path !== 'string' || !options.path.startsWith('/'))) {
      throw new InvalidOptionError('path', 'must be a path starting with "/"');
    }
    if (options.onConnection !== undefined && typeof options.onConnection !== 'function') {
      throw new InvalidOptionError('onConnection', 'must be a function (socket, handle, req) => void');
    }
    if (options.server !== undefined && !(options.server instanceof WebSocketServer)) {
      throw new InvalidOptionError('server', 'must be a ws WebSocketServer made with noServer: true');
    }
    this.connections = options.connections;
    this.policy = new UpgradePolicy({ registry: options.connections.registry, binding: options.binding });
    this.wss = options.server ?? new WebSocketServer({ noServer: true });
    this.#path = options.path;
    this.#onConnection = options.onConnection;
  }

  /**
   * Takes the upgrades of {@link LiveWebSocketsOptions.path} on an HTTP server (every
   * upgrade without a path). Returns a function that stops listening.
   *
   * @param server - a Node HTTP(S) server.
   */
  listen(server: Server): () => void {
    if (this.#listening.has(server)) throw new InvalidOptionError('server', 'is already listened to');
    const listener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      if (this.#path !== undefined && pathname(req) !== this.#path) return;
      void this.handleUpgrade(req, socket, head);
    };
    server.on('upgrade', listener);
    this.#listening.set(server, listener);
    return () => {
      server.off('upgrade', listener);
      this.#listening.delete(server);
    };
  }

  /**
   * Handles one upgrade (for apps that route upgrades themselves): checks the session,
   * refuses (401, 409, 503) or completes the handshake and binds the socket. Resolves
   * with the socket's handle once bound, `undefined` when refused or when the client went
   * away during the handshake. Never rejects.
   *
   * @param req - the upgrade request.
   * @param socket - its socket.
   * @param head - the first packet of the upgraded stream.
   */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<LiveHandle | undefined> {
    const verdict = await this.policy.authorize(req);
    if (socket.destroyed) return undefined;
    if (!verdict.ok) {
      refuseUpgrade(socket, verdict.answer);
      return undefined;
    }
    const connection = new WebSocketConnection();
    let handle: LiveHandle;
    try {
      const connectionId = requestConnectionId(req);
      handle = this.connections.attach(verdict.session, connection, connectionId === undefined ? {} : { connectionId });
    } catch (error) {
      const answer =
        error instanceof ConnectionLimitError
          ? json(409, { error: 'connection_limit', scope: error.scope, limit: error.limit })
          : json(503, { error: 'live_connections_closed' });
      refuseUpgrade(socket, answer);
      return undefined;
    }
    if (!handle.attached) {
      // The session ended while the handshake was being checked.
      refuseUpgrade(socket, endedAnswer(connection.endReason ?? 'unknown', false, '/'));
      return undefined;
    }
    const early = (): void => handle.detach();
    socket.once('close', early);
    return new Promise((resolve) => {
      // An invalid handshake is answered by ws itself (400) and the callback never runs:
      // the socket's close detaches the handle then.
      socket.once('close', () => resolve(undefined));
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        socket.off('close', early);
        ws.once('close', () => handle.detach());
        connection.bind(ws);
        if (handle.attached) {
          this.#onConnection?.(ws, handle, req);
          this.wss.emit('connection', ws, req);
        }
        resolve(handle.attached ? handle : undefined);
      });
    });
  }

  /** Stops listening to every server and closes the `ws` server (open sockets are closed by the manager). */
  close(): void {
    for (const [server, listener] of this.#listening) server.off('upgrade', listener);
    this.#listening.clear();
    this.wss.close();
  }
}

function pathname(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

function json(status: number, value: unknown) {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body: JSON.stringify(value) };
}
