/**
 * socket.io sockets bound to their sessions: the Engine.IO handshake's session is checked
 * before anything opens (401 when there is none or it ended), sockets count against the
 * live-connection caps, and a socket gets a `session_ended` event with the reason, then
 * is disconnected, when its session ends on any process. `socket.io` is a peer
 * dependency.
 *
 * @packageDocumentation
 */
export { LiveSocketIo, type LiveSocketIoOptions, type LiveSocketIoRefusal } from './live-socket-io.js';
