import { SESSION_ENDED_EVENT, STREAM_CLOSED_EVENT, type LiveConnection, type LiveEndReason } from '@session-policy/core';
import type { WebSocket } from 'ws';
import { CLOSE_GOING_AWAY, CLOSE_SESSION_ENDED, CLOSE_STREAM_CLOSED } from './close-codes.js';

/**
 * A WebSocket seen as a {@link LiveConnection}. It exists before the handshake completes
 * (so a connection cap can refuse the upgrade with 409 before anything is upgraded):
 * events and a close that come in the meantime are held and played once the socket is
 * bound.
 *
 * Each event is one text frame, `{"event": name, "data": data}`. A final `session_ended`
 * or `stream_closed` event is followed by a close with {@link CLOSE_SESSION_ENDED} or
 * {@link CLOSE_STREAM_CLOSED} and the reason.
 */
export class WebSocketConnection implements LiveConnection {
  #socket: WebSocket | undefined;
  #held: string[] = [];
  #closeCode = CLOSE_GOING_AWAY;
  #closeReason = 'server closing';
  #closed = false;
  #awaitingPong = false;
  #dead = false;
  #endReason: LiveEndReason | undefined;

  /** The end reason of the final `session_ended` event, once sent. */
  get endReason(): LiveEndReason | undefined {
    return this.#endReason;
  }

  /** Binds the upgraded socket: plays what was held, closes at once if already closed. */
  bind(socket: WebSocket): void {
    this.#socket = socket;
    socket.on('pong', () => {
      this.#awaitingPong = false;
    });
    for (const frame of this.#held.splice(0)) socket.send(frame);
    if (this.#closed) this.#close(socket);
  }

  send(event: string, data: unknown): void {
    if (this.#closed) return;
    if (event === SESSION_ENDED_EVENT || event === STREAM_CLOSED_EVENT) {
      this.#closeCode = event === SESSION_ENDED_EVENT ? CLOSE_SESSION_ENDED : CLOSE_STREAM_CLOSED;
      const reason = (data as { reason?: unknown } | null)?.reason;
      this.#closeReason = typeof reason === 'string' ? reason.slice(0, 120) : 'unknown';
      if (event === SESSION_ENDED_EVENT) this.#endReason = this.#closeReason as LiveEndReason;
    }
    const frame = JSON.stringify({ event, data: data ?? null });
    const socket = this.#socket;
    if (!socket) this.#held.push(frame);
    else if (socket.readyState === socket.OPEN) socket.send(frame);
  }

  ping(): boolean {
    const socket = this.#socket;
    if (!socket) return true;
    // Not open any more, or no pong since the last heartbeat's ping: the peer is gone.
    if (socket.readyState !== socket.OPEN || this.#awaitingPong) {
      this.#dead = true;
      return false;
    }
    this.#awaitingPong = true;
    socket.ping();
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#socket) this.#close(this.#socket);
  }

  #close(socket: WebSocket): void {
    if (socket.readyState === socket.CLOSED || socket.readyState === socket.CLOSING) return;
    // A peer that stopped answering pings cannot take part in a closing handshake.
    if (this.#dead) socket.terminate();
    else socket.close(this.#closeCode, this.#closeReason);
  }
}
