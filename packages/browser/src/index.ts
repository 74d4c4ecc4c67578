/**
 * The browser helper: a session-aware event stream or WebSocket (open only while the
 * page has a session, never a reconnect loop after the session ends) and sign-out across every tab
 * of the origin (`BroadcastChannel`, with a `storage`-event fallback). Plain ESM, no
 * dependencies: serve the compiled files as they are.
 *
 * @packageDocumentation
 */
export {
  connectLiveSession,
  broadcastSignOut,
  type EndSource,
  type LiveSession,
  type LiveSessionOptions,
  type LiveStatus,
} from './live-session.js';
export { openTabChannel, type TabChannel, type TabMessage, type TabTransport } from './tab-channel.js';
export { WS_SESSION_ENDED, WS_STREAM_CLOSED } from './websocket-stream.js';
export {
  watchSocketIoSession,
  type SocketIoLike,
  type SocketIoSession,
  type SocketIoSessionOptions,
} from './socket-io-session.js';
