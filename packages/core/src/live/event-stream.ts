import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidOptionError } from '../errors.js';
import { rejectUnknownOptions } from '../unknown-options.js';
import { ConnectionLimitError } from './connection-limit-error.js';
import {
  SESSION_ENDED_EVENT,
  STREAM_CLOSED_EVENT,
  type AttachOptions,
  type LiveConnection,
  type LiveEndReason,
  type LiveHandle,
} from './live-connection.js';
import type { LiveConnections, LiveSessionKey } from './live-connections.js';

/**
 * Options of {@link openEventStream}.
 *
 * @public
 */
export interface EventStreamOptions {
  /** The manager the stream is attached to. */
  readonly connections: LiveConnections;
  /** The session of the request, as just checked (`check.session`). */
  readonly session: LiveSessionKey;
  /**
   * The stream's connection id (see {@link AttachOptions.connectionId}). Default: the
   * request's `tab` query parameter, when it is a valid id (the browser helper sends it).
   */
  readonly connectionId?: string;
  /** The reconnection delay suggested to the client with `retry:` (milliseconds). Default 3000. */
  readonly retry?: number;
}

const EVENT_STREAM_OPTION_NAMES = Object.keys({ connections: true, session: true, connectionId: true, retry: true } satisfies Record<keyof EventStreamOptions, true>);
const ROUTE_OPTION_NAMES = EVENT_STREAM_OPTION_NAMES.filter((name) => name !== 'connections' && name !== 'session');

function checkRetry(given: number | undefined): number {
  const retry = given ?? 3000;
  if (!Number.isInteger(retry) || retry < 0) throw new InvalidOptionError('retry', 'must be an integer number of milliseconds, 0 or more');
  return retry;
}

/**
 * Validates the options of an adapter's stream route (`eventStream(live, options)`) once,
 * when the route is made, so that a wrong one fails at start-up instead of on every
 * stream request. Throws {@link InvalidOptionError} (`ERR_INVALID_OPTION`) naming it.
 *
 * @param options - the route's options as given (`connectionId`, `retry`), or `undefined`.
 * @param owner - the factory, for the message (`eventStream() (Express)`).
 * @public
 */
export function checkStreamRouteOptions(options: Omit<EventStreamOptions, 'connections' | 'session'> | undefined, owner: string): void {
  if (options === undefined) return;
  rejectUnknownOptions(options, ROUTE_OPTION_NAMES, owner);
  checkRetry(options.retry);
}

/**
 * How long a client that ignores `session_ended` waits before reconnecting: the final
 * event carries this `retry:`, so even a bare `EventSource` does not hammer the server.
 */
const FINAL_RETRY = 86_400_000;
const EVENT_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;
const CONNECTION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Opens a Server-Sent Events stream on a Node HTTP response and attaches it to the
 * request's session: `text/event-stream` with `Cache-Control: no-cache, no-transform`,
 * `Connection: keep-alive` and `X-Accel-Buffering: no` (no proxy buffering), a `retry:`
 * hint, heartbeat comments on the manager's heartbeat, detach when the client goes away.
 * When the session ends, the stream receives `event: session_ended` with
 * `data: {"reason":"…"}` and is ended.
 *
 * Returns the handle, or `undefined` when a connection cap refused the stream: the
 * response was then answered `409` with `{ error: 'connection_limit', scope, limit }`
 * (an `EventSource` does not retry a non-200 answer).
 *
 * Works with any framework that exposes Node's `req`/`res` (Express's own objects, Koa's
 * `ctx.req`/`ctx.res` with `ctx.respond = false`, hapi's `request.raw` with `h.abandon`).
 *
 * @param req - the request (its socket is tuned for a long-lived stream).
 * @param res - the response, not yet written.
 * @param options - see {@link EventStreamOptions}.
 * @public
 */
export function openEventStream(req: IncomingMessage, res: ServerResponse, options: EventStreamOptions): LiveHandle | undefined {
  rejectUnknownOptions(options, EVENT_STREAM_OPTION_NAMES, 'openEventStream()');
  const retry = checkRetry(options.retry);
  const connectionId = options.connectionId ?? tabParameter(req);
  const connection = new EventStreamConnection(req, res, retry, options.connections.heartbeatInterval);
  let handle: LiveHandle;
  try {
    handle = options.connections.attach(options.session, connection, connectionId === undefined ? {} : { connectionId });
  } catch (error) {
    if (!(error instanceof ConnectionLimitError)) throw error;
    res.writeHead(409, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify({ error: 'connection_limit', scope: error.scope, limit: error.limit }));
    return undefined;
  }
  if (!handle.attached) return handle;
  connection.start();
  if (req.socket.destroyed || res.destroyed) handle.detach();
  else res.once('close', () => handle.detach());
  return handle;
}

/**
 * Answers a stream request whose session has already ended (the check said `ended`):
 * a `text/event-stream` response carrying only the final `session_ended` event with the
 * reason, so the client learns why and stops.
 *
 * @param res - the response, not yet written.
 * @param reason - why the session ended.
 * @public
 */
export function sendSessionEnded(res: ServerResponse, reason: LiveEndReason): void {
  const answer = sessionEndedStreamAnswer(reason, res.req?.httpVersionMajor ?? 1);
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}

/**
 * The same answer as {@link sendSessionEnded} as plain data (status, headers, body), for
 * adapters that write answers themselves: return it from the adapter's `onEnded` option
 * when {@link acceptsEventStream} says the request is a stream request, so an ended
 * session's stream is told why instead of getting a 401 it cannot read.
 *
 * @param reason - why the session ended.
 * @param httpVersionMajor - the request's HTTP major version. Default 1.
 * @public
 */
export function sessionEndedStreamAnswer(
  reason: LiveEndReason,
  httpVersionMajor = 1,
): { readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string } {
  return { status: 200, headers: streamHeaders(httpVersionMajor), body: formatServerSentEvent(SESSION_ENDED_EVENT, { reason }, FINAL_RETRY) };
}

/**
 * Whether a request's `Accept` header asks for an event stream (what `EventSource` sends).
 *
 * @param accept - the `Accept` header.
 * @public
 */
export function acceptsEventStream(accept: string | undefined): boolean {
  return accept !== undefined && /(^|[\s,])text\/event-stream\s*(;|,|$)/i.test(accept);
}

/**
 * Formats one Server-Sent Event: `event:` and one `data:` line of JSON, and an optional
 * `retry:`.
 *
 * @param event - the event name (letters, digits, `_ - . :`; at most 64).
 * @param data - JSON-safe data.
 * @param retry - an optional reconnection delay to set on the client (milliseconds).
 * @public
 */
export function formatServerSentEvent(event: string, data: unknown, retry?: number): string {
  if (!EVENT_NAME.test(event)) throw new InvalidOptionError('event', 'must be 1 to 64 letters, digits or _ - . :');
  // JSON.stringify never emits a raw line break, so one data line always suffices.
  const json = JSON.stringify(data ?? null);
  return `${retry === undefined ? '' : `retry: ${retry}\n`}event: ${event}\ndata: ${json}\n\n`;
}

function streamHeaders(httpVersionMajor: number): Record<string, string> {
  return {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    // HTTP/2 forbids connection-specific headers.
    ...(httpVersionMajor < 2 ? { Connection: 'keep-alive' } : {}),
    'X-Accel-Buffering': 'no',
  };
}

function tabParameter(req: IncomingMessage): string | undefined {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  if (query < 0) return undefined;
  const tab = new URLSearchParams(url.slice(query + 1)).get('tab');
  // A hostile or garbled id is ignored rather than refused: the stream just cannot be
  // replaced by a reconnect.
  return tab !== null && CONNECTION_ID.test(tab) ? tab : undefined;
}

/** A Server-Sent Events response seen as a {@link LiveConnection}. */
class EventStreamConnection implements LiveConnection {
  #started = false;
  #stalled = false;
  #drained = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly retry: number,
    readonly heartbeatInterval: number,
  ) {}

  start(): void {
    if (this.#started) return;
    this.#started = true;
    const socket = this.req.socket;
    // A stream is idle by design between events: no socket timeout; TCP keep-alive as a
    // second line of defense against peers that vanish without a word.
    socket.setTimeout(0);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, this.heartbeatInterval);
    this.res.on('drain', () => {
      this.#drained = true;
    });
    this.res.writeHead(200, streamHeaders(this.req.httpVersionMajor));
    this.res.write(`retry: ${this.retry}\n\n`);
  }

  send(event: string, data: unknown): void {
    if (!this.#writable()) return;
    this.start();
    const final = event === SESSION_ENDED_EVENT || event === STREAM_CLOSED_EVENT;
    this.res.write(formatServerSentEvent(event, data, final ? FINAL_RETRY : undefined));
  }

  ping(): boolean {
    if (!this.#writable()) return false;
    // Backed up at two heartbeats in a row with no drain in between: the peer has
    // stopped reading (a frozen or vanished client behind a buffer).
    if (this.res.writableNeedDrain) {
      if (this.#stalled && !this.#drained) return false;
      this.#stalled = true;
    } else {
      this.#stalled = false;
    }
    this.#drained = false;
    this.res.write(': ping\n\n');
    return true;
  }

  close(): void {
    if (!this.#writable()) return;
    this.start();
    this.res.end();
  }

  #writable(): boolean {
    return !this.res.destroyed && !this.res.writableEnded;
  }
}
