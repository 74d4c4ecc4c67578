/**
 * WebSockets through the `ws` library, bound to their sessions: the handshake's session
 * is checked before the upgrade (401 when there is none or it ended), sockets count
 * against the live-connection caps, and a socket is closed with code 4401 and the end
 * reason when its session ends on any process. `ws` is a peer dependency.
 *
 * @packageDocumentation
 */
export { CLOSE_SESSION_ENDED, CLOSE_STREAM_CLOSED, CLOSE_GOING_AWAY } from './close-codes.js';
export { LiveWebSockets, type LiveWebSocketsOptions } from './live-web-sockets.js';
