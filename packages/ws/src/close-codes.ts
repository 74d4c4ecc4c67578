/**
 * The close code of a WebSocket whose session ended (logout, eviction, revocation,
 * timeout, anywhere): the close reason is the end reason (`logout`, `evicted`,
 * `revoked`, `idle`, `absolute`, `replaced`, `unknown`, …). The client is signed out and
 * must not reconnect. 4401 echoes HTTP's 401.
 *
 * @public
 */
export const CLOSE_SESSION_ENDED = 4401;

/**
 * The close code of a WebSocket closed alone while its session goes on: the close reason
 * is `replaced` (a newer socket of the same tab) or `connection_limit` (evicted by a
 * cap). The client must not reconnect: reconnecting would close the socket that
 * replaced it, and so on forever. 4409 echoes HTTP's 409.
 *
 * @public
 */
export const CLOSE_STREAM_CLOSED = 4409;

/**
 * The close code when the server closes every socket on shutdown (the sessions go on):
 * 1001, "going away". Clients reconnect, to another process or to this one once it is
 * back.
 *
 * @public
 */
export const CLOSE_GOING_AWAY = 1001;
