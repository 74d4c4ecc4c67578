import type { EndSource } from './live-session.js';
import { rejectUnknownOptions } from './known-options.js';
import { openTabChannel, type TabChannel, type TabMessage, type TabTransport } from './tab-channel.js';

/**
 * The parts of a socket.io-client `Socket` the helper uses (so the package does not
 * depend on socket.io-client).
 *
 * @public
 */
export interface SocketIoLike {
  // `any[]`, as socket.io-client types its listeners: a socket fits as it is.
  /** Adds a listener. */
  on(event: string, listener: (...args: any[]) => void): unknown;
  /** Removes a listener. */
  off(event: string, listener: (...args: any[]) => void): unknown;
  /** Closes the socket for good (no reconnection). */
  disconnect(): unknown;
}

/**
 * Options of {@link watchSocketIoSession}.
 *
 * @public
 */
export interface SocketIoSessionOptions {
  /** The name of the channel between tabs. Default `'session-policy'`. */
  readonly channel?: string;
  /** Force how tabs talk (see {@link TabTransport}). */
  readonly transport?: TabTransport;
  /**
   * An HTTP URL of the app asked (GET, `Accept: application/json`) on a `connect_error`
   * that is not a refusal by the namespace (a failed handshake: socket.io-client would
   * retry it forever): a `401` answer means signed out (its JSON `reason`, or `error`),
   * and the socket is closed for good.
   */
  readonly probe?: string;
  /** Called once when the session ends, with the reason and who said so. */
  readonly onEnded?: (reason: string, source: EndSource) => void;
  /** Called when the server closed this socket alone (`replaced`, `connection_limit`). */
  readonly onStreamClosed?: (reason: string) => void;
}

/**
 * What {@link watchSocketIoSession} returns.
 *
 * @public
 */
export interface SocketIoSession {
  /** The reason the session ended, once it has. */
  readonly endReason: string | undefined;
  /**
   * This page signed out: disconnects the socket and tells every other tab.
   *
   * @param reason - default `logout`.
   */
  signOut(reason?: string): void;
  /** Stops watching (the socket is left as it is). */
  destroy(): void;
}

const SOCKET_IO_NAMES = Object.keys({ channel: true, transport: true, probe: true, onEnded: true, onStreamClosed: true } satisfies Record<keyof SocketIoSessionOptions, true>);

/**
 * Watches a socket.io-client socket of `@session-policy/socket.io` for the end of its
 * session: the server's `session_ended` event (after which the server disconnects, and
 * socket.io-client does not reconnect), a refused connection (`connect_error` with
 * message `session_ended` or `not_logged_in`), a failed handshake the `probe` says is a
 * sign-out, or a sign-out in another tab. Each ends it once: the socket is disconnected
 * for good, the other tabs are told, `onEnded` is called.
 *
 * @example
 * ```js
 * import { io } from '/assets/socket.io-client.js';
 * import { watchSocketIoSession } from '/assets/session-policy-browser/index.js';
 * const socket = io({ query: { tab: crypto.randomUUID() } });
 * watchSocketIoSession(socket, { probe: '/api/me', onEnded: (reason) => showSignedOut(reason) });
 * ```
 * @param socket - the socket.io-client socket.
 * @param options - see {@link SocketIoSessionOptions}.
 * @public
 */
export function watchSocketIoSession(socket: SocketIoLike, options: SocketIoSessionOptions = {}): SocketIoSession {
  rejectUnknownOptions(options, SOCKET_IO_NAMES, 'watchSocketIoSession');
  if (!socket || typeof socket.on !== 'function' || typeof socket.disconnect !== 'function') {
    throw new TypeError('watchSocketIoSession: socket must be a socket.io-client Socket');
  }
  let endReason: string | undefined;
  let probing = false;
  const end = (reason: string, from: EndSource): void => {
    socket.disconnect();
    if (endReason !== undefined) return;
    endReason = reason;
    if (from !== 'tab') channel.post({ type: 'signed-out', reason });
    options.onEnded?.(reason, from);
  };
  const channel: TabChannel = openTabChannel(
    options.channel ?? 'session-policy',
    (message: TabMessage) => {
      if (message.type === 'signed-out') end(message.reason, 'tab');
    },
    options.transport,
  );
  const reasonOf = (data: unknown, fallback: string): string => {
    const value = data as { reason?: unknown; error?: unknown } | null | undefined;
    return typeof value?.reason === 'string' ? value.reason : typeof value?.error === 'string' ? value.error : fallback;
  };
  const onSessionEnded = (data: unknown): void => end(reasonOf(data, 'logout'), 'server');
  const onStreamClosed = (data: unknown): void => {
    socket.disconnect();
    options.onStreamClosed?.(reasonOf(data, 'closed'));
  };
  const onConnectError = (error: { message?: unknown; data?: unknown } | undefined): void => {
    if (endReason !== undefined) return;
    if (error?.message === 'session_ended' || error?.message === 'not_logged_in') return end(reasonOf(error.data, String(error.message)), 'server');
    if (error?.message === 'connection_limit') return onStreamClosed(error.data);
    if (options.probe === undefined || probing) return;
    probing = true;
    fetch(options.probe, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' })
      .then(async (answer) => {
        if (answer.status !== 401) return;
        end(reasonOf(await answer.json().catch(() => undefined), 'unknown'), 'server');
      })
      .catch(() => undefined)
      .finally(() => {
        probing = false;
      });
  };
  socket.on('session_ended', onSessionEnded);
  socket.on('stream_closed', onStreamClosed);
  socket.on('connect_error', onConnectError);
  return {
    get endReason() {
      return endReason;
    },
    signOut(reason = 'logout') {
      end(reason, 'local');
    },
    destroy() {
      socket.off('session_ended', onSessionEnded);
      socket.off('stream_closed', onStreamClosed);
      socket.off('connect_error', onConnectError);
      channel.close();
    },
  };
}
