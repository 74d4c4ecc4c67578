/**
 * The close code of a WebSocket whose session ended (the close reason is the end reason):
 * the page is signed out and never reconnects. Sent by `@session-policy/ws`.
 *
 * @public
 */
export const WS_SESSION_ENDED = 4401;

/**
 * The close code of a WebSocket closed alone while its session goes on (`replaced`,
 * `connection_limit`): no reconnect until the page asks. Sent by `@session-policy/ws`.
 *
 * @public
 */
export const WS_STREAM_CLOSED = 4409;

/** Close codes after which a WebSocket is reconnected: the server went away or failed, or the network did. */
const RECONNECT = new Set([1001, 1005, 1006, 1011, 1012, 1013, 1014]);

/** What a WebSocket stream tells its owner. */
export interface StreamEvents {
  /** The socket is open. */
  opened(): void;
  /** An event frame (or a message that is not one, as `message`). */
  event(name: string, data: unknown): void;
  /** The session ended (a `session_ended` frame, or close code 4401). */
  ended(reason: string): void;
  /** The server closed this socket alone (close code 4409, a `stream_closed` frame, or any close not worth retrying). */
  closed(reason: string): void;
  /** The connection was lost (`opened`: whether it had opened): worth retrying. */
  lost(opened: boolean): void;
}

/** A WebSocket carrying a session's events. */
export interface WebSocketStream {
  /** Sends a message; `false` when the socket is not open. */
  send(data: string): boolean;
  /** Closes it without telling the owner. */
  close(): void;
}

/**
 * Opens a WebSocket on `url` (relative URLs resolve against the page, `http(s)` becoming
 * `ws(s)`) and reports through `events`. Frames are JSON `{ event, data }`.
 *
 * @param url - the socket's URL.
 * @param events - see {@link StreamEvents}.
 */
export function openWebSocketStream(url: string, events: StreamEvents): WebSocketStream {
  const target = new URL(url, location.href);
  if (target.protocol === 'http:') target.protocol = 'ws:';
  else if (target.protocol === 'https:') target.protocol = 'wss:';
  const socket = new WebSocket(target.href);
  let opened = false;
  let done = false;
  const finish = (): boolean => {
    if (done) return false;
    done = true;
    return true;
  };
  socket.onopen = () => {
    opened = true;
    if (!done) events.opened();
  };
  socket.onmessage = (message: MessageEvent) => {
    if (done) return;
    const frame = parseFrame(message.data);
    if (!frame) return events.event('message', message.data);
    const reason = (frame.data as { reason?: unknown } | null)?.reason;
    if (frame.event === 'session_ended') {
      // Close first, so nothing that follows counts as a lost connection.
      if (finish()) {
        socket.close(1000);
        events.ended(typeof reason === 'string' ? reason : 'logout');
      }
    } else if (frame.event === 'stream_closed') {
      if (finish()) {
        socket.close(1000);
        events.closed(typeof reason === 'string' ? reason : 'closed');
      }
    } else {
      events.event(frame.event, frame.data);
    }
  };
  socket.onclose = (close: CloseEvent) => {
    if (!finish()) return;
    if (close.code === WS_SESSION_ENDED) events.ended(close.reason || 'logout');
    else if (close.code === WS_STREAM_CLOSED) events.closed(close.reason || 'closed');
    else if (!opened || RECONNECT.has(close.code)) events.lost(opened);
    else events.closed(close.reason || 'closed');
  };
  return {
    send(data) {
      if (done || socket.readyState !== WebSocket.OPEN) return false;
      socket.send(data);
      return true;
    },
    close() {
      done = true;
      socket.close(1000);
    },
  };
}

function parseFrame(data: unknown): { event: string; data: unknown } | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const value = JSON.parse(data) as { event?: unknown; data?: unknown } | null;
    if (value && typeof value === 'object' && typeof value.event === 'string') return { event: value.event, data: value.data };
  } catch {
    // not a frame
  }
  return undefined;
}
