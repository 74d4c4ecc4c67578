import type { EndReason } from '../session.js';

/**
 * Anything that can carry events to one client: a Server-Sent Events response, a
 * WebSocket, a long-poll queue. The manager calls these methods; they must not throw
 * (a connection that can no longer write simply does nothing).
 *
 * @public
 */
export interface LiveConnection {
  /** Delivers one event. `data` is JSON-safe. */
  send(event: string, data: unknown): void;
  /** Closes the connection for good. Called once, after any final event. */
  close(): void;
  /**
   * Sends a heartbeat, on every `heartbeatInterval`. Return `false` when the peer is known
   * to be gone (a write that cannot flush, a WebSocket pong that never came): the manager
   * then closes and detaches the connection. Without `ping`, the connection only detaches
   * when its owner calls {@link LiveHandle.detach}.
   */
  ping?(): boolean | void;
}

/**
 * Why a session's live connections were closed with a `session_ended` event: the
 * session's {@link EndReason}, or `unknown` when the registry no longer knows the session
 * (forgotten, or never admitted).
 *
 * @public
 */
export type LiveEndReason = EndReason | 'unknown';

/**
 * Why one live connection was closed with a `stream_closed` event while its session goes
 * on: `replaced` by a new connection with the same connection id (the same tab
 * reconnecting), or evicted by a `connection_limit`. A client must not reconnect on
 * either: reconnecting would evict the connection that replaced it, and so on forever.
 *
 * @public
 */
export type StreamCloseReason = 'replaced' | 'connection_limit';

/**
 * The name of the final event a live connection receives when its session ends, with data
 * `{ reason: LiveEndReason }`. Clients must not reconnect after it.
 *
 * @public
 */
export const SESSION_ENDED_EVENT = 'session_ended';

/**
 * The name of the final event a live connection receives when it alone is closed (its
 * session goes on), with data `{ reason: StreamCloseReason }`. Clients must not reconnect
 * after it.
 *
 * @public
 */
export const STREAM_CLOSED_EVENT = 'stream_closed';

/** Options of {@link LiveConnections.attach}. @public */
export interface AttachOptions {
  /**
   * A stable id of where the connection comes from: a tab id (kept in `sessionStorage`)
   * or a device id. A new connection with the same id, for the same principal, replaces
   * the old one instead of counting twice (a reload, a network blip). At most 128
   * characters out of letters, digits and `_ - . :`.
   */
  readonly connectionId?: string;
}

/**
 * One attached live connection, as returned by {@link LiveConnections.attach}.
 *
 * @public
 */
export interface LiveHandle {
  /** The session the connection belongs to. */
  readonly sessionId: string;
  /** The principal key of that session. */
  readonly principalKey: string;
  /** The connection id given at attach, if any. */
  readonly connectionId: string | undefined;
  /** `true` until the connection is detached or closed. */
  readonly attached: boolean;
  /** Sends one event on this connection (ignored once detached). */
  send(event: string, data: unknown): void;
  /**
   * Forgets the connection without closing it (the client went away; the connection is
   * already closed). Idempotent. Call it from the connection's own close handler.
   */
  detach(): void;
}
