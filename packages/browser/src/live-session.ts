import { openTabChannel, type TabChannel, type TabMessage, type TabTransport } from './tab-channel.js';
import { openWebSocketStream, type WebSocketStream } from './websocket-stream.js';
import { rejectUnknownOptions } from './known-options.js';

/**
 * Where a {@link LiveSession} stands.
 *
 * - `idle`: not connected (not started, no session, or {@link LiveSession.disconnect}ed).
 * - `connecting`: opening the stream, or the browser is retrying after a network error.
 * - `open`: the stream is open.
 * - `closed`: the server closed this stream alone (replaced by another stream of this
 *   tab, a connection cap) or refused it; the session goes on. Nothing reconnects until
 *   {@link LiveSession.connect} is called.
 * - `ended`: the session ended. Nothing reconnects until {@link LiveSession.signedIn}.
 *
 * @public
 */
export type LiveStatus = 'idle' | 'connecting' | 'open' | 'closed' | 'ended';

/**
 * Who told this tab that its session ended: the `server` (a `session_ended` event),
 * another `tab`, or this page itself (`local`, through {@link LiveSession.signOut}).
 *
 * @public
 */
export type EndSource = 'server' | 'tab' | 'local';

/**
 * Options of {@link connectLiveSession}.
 *
 * @public
 */
export interface LiveSessionOptions {
  /**
   * The URL of the session's event stream or WebSocket (same origin, so the session
   * cookie goes along).
   */
  readonly url: string;
  /**
   * What the URL serves: `'sse'` (an `EventSource`) or `'websocket'` (a `WebSocket` of
   * `@session-policy/ws`: close code 4401 means signed out, 4409 closed alone). Default:
   * `'websocket'` for `ws:`/`wss:` URLs, `'sse'` otherwise.
   */
  readonly stream?: 'sse' | 'websocket';
  /**
   * WebSocket only: the delay before reconnecting after a lost connection (milliseconds),
   * doubled after each handshake that fails, up to a minute. Default 3000. (An
   * `EventSource` follows the server's `retry:` instead.)
   */
  readonly retry?: number;
  /**
   * WebSocket only: an HTTP URL of the app asked (GET, `Accept: application/json`) when a
   * handshake fails, since a browser does not say why: a `401` answer means the session is
   * over (its JSON `reason`, or `error`, is the end reason), and nothing reconnects;
   * anything else counts as a network error. Without it, failed handshakes are retried
   * with the growing delay.
   */
  readonly probe?: string;
  /**
   * Whether the page has a session now; asked before every connection and on every
   * stream error, so a signed-out page never opens or keeps a stream (token apps:
   * `() => localStorage.getItem('token') !== null`). Default: yes until told otherwise
   * (cookie sessions, where the server answers for the session).
   */
  readonly hasSession?: () => boolean;
  /** Connect at once. Default `true`. */
  readonly autoConnect?: boolean;
  /** The name of the channel between tabs. Default `'session-policy'`. */
  readonly channel?: string;
  /** Force how tabs talk (see {@link TabTransport}). Default: `BroadcastChannel` when available. */
  readonly transport?: TabTransport;
  /**
   * This page's connection id, sent as the `tab` query parameter so that a reconnect
   * replaces its old stream on the server instead of counting twice. Default: a random id
   * per page load (a duplicated tab must not share it). `false` sends none.
   */
  readonly tabId?: string | false;
  /** Names of the server's events to deliver to {@link LiveSessionOptions.onEvent}, besides `message`. */
  readonly events?: readonly string[];
  /** Called with each delivered event and its data (parsed as JSON when it is JSON). */
  readonly onEvent?: (event: string, data: unknown) => void;
  /** Called on every status change. */
  readonly onStatus?: (status: LiveStatus) => void;
  /** Called once when the session ends, with the reason (`logout`, `evicted`, `revoked`, `idle`, …). */
  readonly onEnded?: (reason: string, source: EndSource) => void;
  /** Called when the server closed or refused this stream alone (`replaced`, `connection_limit`, `refused`). */
  readonly onStreamClosed?: (reason: string) => void;
  /** Called when another tab signed in again. */
  readonly onSignedIn?: () => void;
  /** Where to go when the session ends: a URL, or a function of the reason and source. Default: stay. */
  readonly redirect?: string | ((reason: string, source: EndSource) => string | undefined);
}

/**
 * A page's live session: its event stream, open only while the page has a session, and
 * its link to the other tabs. See {@link connectLiveSession}.
 *
 * @public
 */
export interface LiveSession {
  /** Where it stands. */
  readonly status: LiveStatus;
  /** The reason the session ended, once it has. */
  readonly endReason: string | undefined;
  /** The connection id sent to the server, if any. */
  readonly tabId: string | undefined;
  /** How this tab talks to the others. */
  readonly transport: TabTransport;
  /** Opens the stream if the page has a session and it has not ended. */
  connect(): void;
  /**
   * WebSocket only: sends a message to the server on the open socket. Returns `false`
   * (nothing sent) when no socket is open, or for an event stream.
   *
   * @param data - the message.
   */
  send(data: string): boolean;
  /** Closes the stream (the session goes on; other tabs are not told). */
  disconnect(): void;
  /**
   * This page signed out (call it once the logout request is sent): closes the stream,
   * tells every other tab, and calls `onEnded(reason, 'local')`.
   *
   * @param reason - default `logout`.
   */
  signOut(reason?: string): void;
  /** This page signed in again: tells the other tabs and connects. */
  signedIn(): void;
  /** Closes the stream and stops listening to other tabs. */
  destroy(): void;
}

const SESSION_ENDED = 'session_ended';
const STREAM_CLOSED = 'stream_closed';

// Every name of LiveSessionOptions, typed over the interface so that the list cannot drift from it.
const LIVE_SESSION_NAMES = Object.keys({
  url: true,
  stream: true,
  retry: true,
  probe: true,
  hasSession: true,
  autoConnect: true,
  channel: true,
  transport: true,
  tabId: true,
  events: true,
  onEvent: true,
  onStatus: true,
  onEnded: true,
  onStreamClosed: true,
  onSignedIn: true,
  redirect: true,
} satisfies Record<keyof LiveSessionOptions, true>);

/**
 * Connects a page to its session's event stream (or WebSocket) and to the other tabs of
 * its origin.
 *
 * - The stream is opened only while the page has a session (see
 *   {@link LiveSessionOptions.hasSession}); on a `session_ended` event (a WebSocket: close
 *   code 4401, or a 401 from the {@link LiveSessionOptions.probe} after a failed
 *   handshake), on a stream error while signed out, or on a sign-out in another tab, it
 *   is closed for good: no reconnect loop.
 * - A sign-out here or a `session_ended` from the server is broadcast to every tab.
 * - The page reacts through `onEnded` (show a message) or `redirect`.
 *
 * @example
 * ```js
 * import { connectLiveSession } from '/assets/session-policy-browser/index.js';
 * const live = connectLiveSession({
 *   url: '/events',
 *   events: ['devices'],
 *   onEvent: (name, data) => render(name, data),
 *   onEnded: (reason) => { status.textContent = `signed out: ${reason}`; },
 * });
 * logoutButton.onclick = async () => { await fetch('/logout', { method: 'POST' }); live.signOut(); };
 * ```
 * @param options - see {@link LiveSessionOptions}.
 * @public
 */
export function connectLiveSession(options: LiveSessionOptions): LiveSession {
  if (!options || typeof options.url !== 'string' || options.url === '') throw new TypeError('connectLiveSession: options.url must be the stream URL');
  rejectUnknownOptions(options, LIVE_SESSION_NAMES, 'connectLiveSession');
  const hasSession = options.hasSession ?? (() => true);
  const tabId = options.tabId === false ? undefined : (options.tabId ?? randomId());
  const streamUrl = tabId === undefined ? options.url : `${options.url}${options.url.includes('?') ? '&' : '?'}tab=${encodeURIComponent(tabId)}`;
  const kind = options.stream ?? (/^wss?:/i.test(options.url) ? 'websocket' : 'sse');
  if (kind !== 'sse' && kind !== 'websocket') throw new TypeError("connectLiveSession: options.stream must be 'sse' or 'websocket'");
  const retry = options.retry ?? 3000;
  if (!Number.isFinite(retry) || retry < 0) throw new TypeError('connectLiveSession: options.retry must be a number of milliseconds');
  let source: EventSource | undefined;
  let socket: WebSocketStream | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let status: LiveStatus = 'idle';
  let endReason: string | undefined;
  let destroyed = false;

  const setStatus = (next: LiveStatus): void => {
    if (status === next) return;
    status = next;
    options.onStatus?.(next);
  };

  const closeStream = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    socket?.close();
    socket = undefined;
    if (!source) return;
    source.close();
    source = undefined;
  };

  const end = (reason: string, from: EndSource): void => {
    closeStream();
    if (endReason !== undefined) return;
    endReason = reason;
    setStatus('ended');
    if (from !== 'tab') channel.post({ type: 'signed-out', reason });
    options.onEnded?.(reason, from);
    const target = typeof options.redirect === 'function' ? options.redirect(reason, from) : options.redirect;
    if (target !== undefined) location.assign(target);
  };

  const onTabMessage = (message: TabMessage): void => {
    if (message.type === 'signed-out') end(message.reason, 'tab');
    else options.onSignedIn?.();
  };
  const channel: TabChannel = openTabChannel(options.channel ?? 'session-policy', onTabMessage, options.transport);

  const deliver = (name: string) => (event: MessageEvent) => options.onEvent?.(name, parseData(event.data));

  const streamClosed = (reason: string): void => {
    setStatus('closed');
    options.onStreamClosed?.(reason);
  };

  const reconnectLater = (): void => {
    const delay = Math.min(retry * 2 ** failures, 60_000);
    timer = setTimeout(() => {
      timer = undefined;
      connect();
    }, delay);
  };

  // A failed handshake: ask the probe whether the session is over before trying again.
  const handshakeFailed = (): void => {
    failures++;
    if (options.probe === undefined) return reconnectLater();
    const asked = fetch(options.probe, { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
    asked.then(
      async (answer) => {
        if (destroyed || endReason !== undefined || status !== 'connecting' || socket || timer !== undefined) return;
        if (answer.status !== 401) return reconnectLater();
        const body = (await answer.json().catch(() => undefined)) as { reason?: unknown; error?: unknown } | undefined;
        const reason = typeof body?.reason === 'string' ? body.reason : typeof body?.error === 'string' ? body.error : 'unknown';
        end(reason, 'server');
      },
      () => {
        if (!destroyed && endReason === undefined && status === 'connecting' && !socket && timer === undefined) reconnectLater();
      },
    );
  };

  const connectWebSocket = (): void => {
    setStatus('connecting');
    const current: WebSocketStream = openWebSocketStream(streamUrl, {
      opened: () => {
        failures = 0;
        setStatus('open');
      },
      event: (name, data) => {
        if (name === 'message' || options.events?.includes(name)) options.onEvent?.(name, data);
      },
      ended: (reason) => {
        socket = undefined;
        end(reason, 'server');
      },
      closed: (reason) => {
        socket = undefined;
        streamClosed(reason);
      },
      lost: (opened) => {
        socket = undefined;
        if (!hasSession()) return setStatus('idle');
        setStatus('connecting');
        if (opened) reconnectLater();
        else handshakeFailed();
      },
    });
    socket = current;
  };

  const connect = (): void => {
    if (destroyed || source || socket || timer !== undefined || endReason !== undefined) return;
    if (!hasSession()) {
      setStatus('idle');
      return;
    }
    if (kind === 'websocket') return connectWebSocket();
    const es = new EventSource(streamUrl);
    source = es;
    setStatus('connecting');
    es.onopen = () => {
      if (source === es) setStatus('open');
    };
    es.addEventListener(SESSION_ENDED, (event) => {
      // Close before the server ends the response, so the browser never schedules a retry.
      es.close();
      const data = parseData((event as MessageEvent).data) as { reason?: unknown } | undefined;
      end(typeof data?.reason === 'string' ? data.reason : 'logout', 'server');
    });
    es.addEventListener(STREAM_CLOSED, (event) => {
      es.close();
      if (source !== es) return;
      source = undefined;
      setStatus('closed');
      const data = parseData((event as MessageEvent).data) as { reason?: unknown } | undefined;
      options.onStreamClosed?.(typeof data?.reason === 'string' ? data.reason : 'closed');
    });
    es.addEventListener('message', deliver('message'));
    for (const name of options.events ?? []) {
      if (name !== SESSION_ENDED && name !== STREAM_CLOSED && name !== 'message') es.addEventListener(name, deliver(name));
    }
    es.onerror = () => {
      if (source !== es) return;
      if (!hasSession()) {
        // Signed out behind our back (a token removed): never let the browser retry.
        closeStream();
        setStatus('idle');
      } else if (es.readyState === EventSource.CLOSED) {
        // Refused (401, 409, not an event stream): the browser will not retry, nor do we.
        source = undefined;
        streamClosed('refused');
      } else {
        // A network error while signed in: the browser retries after the server's `retry:`.
        setStatus('connecting');
      }
    };
  };

  const session: LiveSession = {
    get status() {
      return status;
    },
    get endReason() {
      return endReason;
    },
    tabId,
    transport: channel.transport,
    connect,
    send(data) {
      return socket?.send(data) ?? false;
    },
    disconnect() {
      closeStream();
      if (status !== 'ended') setStatus('idle');
    },
    signOut(reason = 'logout') {
      end(reason, 'local');
    },
    signedIn() {
      endReason = undefined;
      setStatus('idle');
      channel.post({ type: 'signed-in' });
      connect();
    },
    destroy() {
      destroyed = true;
      closeStream();
      channel.close();
    },
  };
  if (options.autoConnect ?? true) connect();
  return session;
}

/**
 * Tells every other tab of this origin that the session ended, without a live session
 * in this page (a plain logout form's handler, for instance).
 *
 * @param reason - default `logout`.
 * @param channel - the channel name. Default `'session-policy'`.
 * @param transport - force a transport (see {@link TabTransport}).
 * @public
 */
export function broadcastSignOut(reason = 'logout', channel = 'session-policy', transport?: TabTransport): void {
  const link = openTabChannel(channel, () => undefined, transport);
  link.post({ type: 'signed-out', reason });
  link.close();
}

function parseData(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}

function randomId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
