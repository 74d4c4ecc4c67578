import { SESSION_ENDED_EVENT, STREAM_CLOSED_EVENT, type LiveConnection, type LiveEndReason } from '@session-policy/core';
import type { Socket } from 'socket.io';

/**
 * A socket.io socket seen as a {@link LiveConnection}. It is attached while the
 * namespace's middleware runs (so a connection cap can refuse the connection), before
 * socket.io has connected it: events and a close that come in the meantime are held and
 * played once it is connected.
 *
 * Each event is a socket.io event of the same name (`socket.emit(event, data)`); the final
 * `session_ended` or `stream_closed` event is followed by `socket.disconnect(true)`, which
 * socket.io clients do not reconnect after ("io server disconnect").
 */
export class SocketIoConnection implements LiveConnection {
  readonly #socket: Socket;
  #connected = false;
  #held: Array<[string, unknown]> = [];
  #closed = false;
  #endReason: LiveEndReason | undefined;

  /** @param socket - the socket, in the namespace's middleware. */
  constructor(socket: Socket) {
    this.#socket = socket;
  }

  /** The end reason of the final `session_ended` event, once sent. */
  get endReason(): LiveEndReason | undefined {
    return this.#endReason;
  }

  /** socket.io connected the socket: plays what was held, disconnects at once if already closed. */
  connected(): void {
    this.#connected = true;
    for (const [event, data] of this.#held.splice(0)) this.#socket.emit(event, data);
    if (this.#closed) this.#socket.disconnect(true);
  }

  send(event: string, data: unknown): void {
    if (this.#closed) return;
    if (event === SESSION_ENDED_EVENT) {
      const reason = (data as { reason?: unknown } | null)?.reason;
      this.#endReason = (typeof reason === 'string' ? reason : 'unknown') as LiveEndReason;
    }
    if (this.#connected) this.#socket.emit(event, data ?? null);
    else this.#held.push([event, data ?? null]);
  }

  ping(): boolean {
    // socket.io runs its own heartbeat (pingInterval/pingTimeout) and disconnects dead
    // peers; this only notices a socket whose connection closed before it connected.
    return this.#connected ? this.#socket.connected : this.#socket.conn.readyState === 'open';
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#connected) this.#socket.disconnect(true);
  }
}
