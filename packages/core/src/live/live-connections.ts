import { ClosedError, InvalidOptionError } from '../errors.js';
import { rejectUnknownOptions } from '../unknown-options.js';
import type { SessionRegistry } from '../registry.js';
import type { SessionInfo } from '../session.js';
import { ConnectionLimitError } from './connection-limit-error.js';
import {
  SESSION_ENDED_EVENT,
  STREAM_CLOSED_EVENT,
  type AttachOptions,
  type LiveConnection,
  type LiveEndReason,
  type LiveHandle,
  type StreamCloseReason,
} from './live-connection.js';

/**
 * Options of {@link LiveConnections}. Durations are milliseconds. Every option is
 * validated at construction, with an `ERR_INVALID_OPTION` error naming it.
 *
 * @public
 */
export interface LiveConnectionsOptions {
  /** The most live connections one session may hold in this process. Default `Infinity`. */
  readonly maxPerSession?: number;
  /** The most live connections one principal may hold in this process, over all its sessions. Default `Infinity`. */
  readonly maxPerPrincipal?: number;
  /**
   * Over a cap: `'evict'` the oldest connection in that scope (it gets a `stream_closed`
   * event with reason `connection_limit`; default), or `'reject'` the new one with
   * `ERR_CONNECTION_LIMIT`.
   */
  readonly onLimit?: 'evict' | 'reject';
  /**
   * How often every connection is pinged (see {@link LiveConnection.ping}); a dead peer is
   * noticed within about this long. One timer for the whole manager, running only while
   * connections are attached, never keeping the process alive. Default 10 seconds.
   */
  readonly heartbeatInterval?: number;
  /**
   * The least time between two `registry.check` calls a session's heartbeats make. The
   * check updates the session's last-seen time (so an open page counts as activity) and
   * catches ends this process was not told about. Default one minute.
   */
  readonly touchInterval?: number;
  /**
   * How many ended session ids to remember, so a stream opened by a request that raced
   * with the end of its session is closed at once instead of living on. Default 10 000.
   */
  readonly rememberEnded?: number;
}

const ATTACH_NAMES = Object.keys({ connectionId: true } satisfies Record<keyof AttachOptions, true>);

const OPTION_NAMES: Record<keyof LiveConnectionsOptions, true> = {
  maxPerSession: true,
  maxPerPrincipal: true,
  onLimit: true,
  heartbeatInterval: true,
  touchInterval: true,
  rememberEnded: true,
};

/**
 * The session a live connection belongs to: a {@link SessionInfo}, or just its two keys.
 *
 * @public
 */
export type LiveSessionKey = Pick<SessionInfo, 'sessionId' | 'principalKey'>;

/**
 * Where to send an event: one session's connections, or all of a principal's.
 *
 * @public
 */
export type LiveTarget = { readonly sessionId: string } | { readonly principalKey: string };

/**
 * Counters of a {@link LiveConnections} manager since it was created.
 *
 * @public
 */
export interface LiveConnectionsStats {
  /** Connections attached now. */
  readonly open: number;
  /** Sessions with at least one connection now. */
  readonly sessions: number;
  /** Connections ever attached. */
  readonly attached: number;
  /** Connections closed because their session ended (`session_ended` sent). */
  readonly ended: number;
  /** Connections replaced by a reconnect with the same connection id. */
  readonly replaced: number;
  /** Connections evicted by a cap. */
  readonly evicted: number;
  /** Connections refused by a cap (`onLimit: 'reject'`). */
  readonly rejected: number;
  /** Connections closed because a heartbeat found the peer gone. */
  readonly dead: number;
}

interface SessionSlot {
  readonly principalKey: string;
  readonly attachments: Set<Attachment>;
  touchedAt: number;
  checking: boolean;
}

const CONNECTION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Live connections (SSE streams, WebSockets, …) bound to sessions. When a session ends,
 * for any reason and on any process sharing the store, each of its connections receives
 * a final `session_ended` event naming the reason and is closed. Optional caps per
 * session and per principal, same-tab replacement, and heartbeats that notice dead peers
 * and keep the session's last-seen time fresh.
 *
 * One manager per registry; it listens to the registry's `ended` event once, whatever the
 * number of connections. Caps count this process's connections only.
 *
 * @example
 * ```ts
 * const live = new LiveConnections(registry, { maxPerSession: 3, heartbeatInterval: 10_000 });
 * const handle = live.attach(check.session, { send, close }, { connectionId: tabId });
 * socket.on('close', () => handle.detach());
 * ```
 * @public
 */
export class LiveConnections {
  /** The registry whose sessions the connections belong to. */
  readonly registry: SessionRegistry;
  readonly #maxPerSession: number;
  readonly #maxPerPrincipal: number;
  readonly #reject: boolean;
  readonly #heartbeatInterval: number;
  readonly #touchInterval: number;
  readonly #rememberEnded: number;
  readonly #sessions = new Map<string, SessionSlot>();
  readonly #principals = new Map<string, Set<Attachment>>();
  readonly #byConnectionId = new Map<string, Attachment>();
  readonly #recentlyEnded = new Map<string, LiveEndReason>();
  readonly #onEnded: (session: SessionInfo) => void;
  #timer: NodeJS.Timeout | undefined;
  #open = 0;
  #closed = false;
  #attached = 0;
  #ended = 0;
  #replaced = 0;
  #evicted = 0;
  #rejected = 0;
  #dead = 0;

  /**
   * @param registry - the registry whose `ended` events close connections.
   * @param options - see {@link LiveConnectionsOptions}.
   */
  constructor(registry: SessionRegistry, options: LiveConnectionsOptions = {}) {
    if (!registry || typeof registry.on !== 'function' || typeof registry.check !== 'function') {
      throw new InvalidOptionError('registry', 'must be a SessionRegistry');
    }
    rejectUnknownOptions(options, Object.keys(OPTION_NAMES), 'LiveConnections');
    this.registry = registry;
    this.#maxPerSession = cap(options.maxPerSession, 'maxPerSession');
    this.#maxPerPrincipal = cap(options.maxPerPrincipal, 'maxPerPrincipal');
    const onLimit = options.onLimit ?? 'evict';
    if (onLimit !== 'evict' && onLimit !== 'reject') throw new InvalidOptionError('onLimit', "must be 'evict' or 'reject'");
    this.#reject = onLimit === 'reject';
    this.#heartbeatInterval = positive(options.heartbeatInterval, 'heartbeatInterval', 10_000);
    this.#touchInterval = positive(options.touchInterval, 'touchInterval', 60_000);
    this.#rememberEnded = options.rememberEnded ?? 10_000;
    if (!Number.isInteger(this.#rememberEnded) || this.#rememberEnded < 0) {
      throw new InvalidOptionError('rememberEnded', 'must be an integer of at least 0');
    }
    this.#onEnded = (session) => this.#sessionEnded(session.sessionId, session.endReason ?? 'logout');
    registry.on('ended', this.#onEnded);
  }

  /** The number of connections attached now. */
  get size(): number {
    return this.#open;
  }

  /** The heartbeat interval in force (milliseconds). */
  get heartbeatInterval(): number {
    return this.#heartbeatInterval;
  }

  /**
   * Attaches a connection to a live session (checked by the caller just before, on this
   * request). Over a cap, evicts the oldest connection in that scope, or throws
   * {@link ConnectionLimitError} (`ERR_CONNECTION_LIMIT`) in reject mode, before touching
   * the connection. If the session has already ended (a request that raced with its end),
   * the connection gets its final event at once and the handle comes back detached.
   *
   * @param session - the session (its id and principal key).
   * @param connection - the connection; see {@link LiveConnection}.
   * @param options - see {@link AttachOptions}.
   */
  attach(session: LiveSessionKey, connection: LiveConnection, options: AttachOptions = {}): LiveHandle {
    if (this.#closed) throw new ClosedError('The live connections manager');
    const { sessionId, principalKey } = session ?? {};
    if (typeof sessionId !== 'string' || sessionId === '') throw new InvalidOptionError('session.sessionId', 'must be a non-empty string');
    if (typeof principalKey !== 'string' || principalKey === '') throw new InvalidOptionError('session.principalKey', 'must be a non-empty string');
    if (!connection || typeof connection.send !== 'function' || typeof connection.close !== 'function') {
      throw new InvalidOptionError('connection', 'must have send(event, data) and close() methods');
    }
    rejectUnknownOptions(options, ATTACH_NAMES, 'attach()');
    const connectionId = options.connectionId;
    if (connectionId !== undefined && (typeof connectionId !== 'string' || !CONNECTION_ID.test(connectionId))) {
      throw new InvalidOptionError('connectionId', 'must be 1 to 128 letters, digits or _ - . :');
    }
    const attachment = new Attachment(sessionId, principalKey, connectionId, connection, this.#forget);
    const ended = this.#recentlyEnded.get(sessionId);
    if (ended !== undefined) {
      this.#ended++;
      finish(connection, SESSION_ENDED_EVENT, ended);
      attachment.attached = false;
      return attachment;
    }

    const idKey = connectionId === undefined ? undefined : `${principalKey}\u0000${connectionId}`;
    const previous = idKey === undefined ? undefined : this.#byConnectionId.get(idKey);
    const inSession = this.#sessions.get(sessionId)?.attachments;
    const inPrincipal = this.#principals.get(principalKey);
    const sessionCount = (inSession?.size ?? 0) - (previous && inSession?.has(previous) ? 1 : 0);
    const principalCount = (inPrincipal?.size ?? 0) - (previous ? 1 : 0);
    if (this.#reject) {
      if (sessionCount >= this.#maxPerSession) this.#refuse('session', this.#maxPerSession);
      if (principalCount >= this.#maxPerPrincipal) this.#refuse('principal', this.#maxPerPrincipal);
    }
    if (previous) {
      this.#replaced++;
      this.#drop(previous, STREAM_CLOSED_EVENT, 'replaced' satisfies StreamCloseReason);
    }
    this.#evictOver(inSession, this.#maxPerSession);
    this.#evictOver(this.#principals.get(principalKey), this.#maxPerPrincipal);

    let slot = this.#sessions.get(sessionId);
    if (!slot) {
      slot = { principalKey, attachments: new Set(), touchedAt: this.registry.now(), checking: false };
      this.#sessions.set(sessionId, slot);
    }
    slot.attachments.add(attachment);
    let principalSet = this.#principals.get(principalKey);
    if (!principalSet) {
      principalSet = new Set();
      this.#principals.set(principalKey, principalSet);
    }
    principalSet.add(attachment);
    if (idKey !== undefined) this.#byConnectionId.set(idKey, attachment);
    this.#attached++;
    if (this.#open++ === 0) this.#startHeartbeat();
    return attachment;
  }

  /**
   * Sends an event to every connection of one session or of one principal (for example
   * "your devices changed"). Returns how many connections it reached.
   *
   * @param target - `{ sessionId }` or `{ principalKey }`.
   * @param event - the event name.
   * @param data - JSON-safe data.
   */
  send(target: LiveTarget, event: string, data: unknown): number {
    checkTarget(target);
    const attachments = 'sessionId' in target ? this.#sessions.get(target.sessionId)?.attachments : this.#principals.get(target.principalKey);
    if (!attachments) return 0;
    for (const a of [...attachments]) a.send(event, data);
    return attachments.size;
  }

  /**
   * The number of connections attached for one session or one principal.
   *
   * @param target - `{ sessionId }` or `{ principalKey }`.
   */
  count(target: LiveTarget): number {
    checkTarget(target);
    if ('sessionId' in target) return this.#sessions.get(target.sessionId)?.attachments.size ?? 0;
    return this.#principals.get(target.principalKey)?.size ?? 0;
  }

  /** This manager's counters. */
  stats(): LiveConnectionsStats {
    return {
      open: this.#open,
      sessions: this.#sessions.size,
      attached: this.#attached,
      ended: this.#ended,
      replaced: this.#replaced,
      evicted: this.#evicted,
      rejected: this.#rejected,
      dead: this.#dead,
    };
  }

  /**
   * Closes every connection without a final event (their sessions go on: clients
   * reconnect to another process, or to this one when it is back), stops the heartbeat
   * and stops listening to the registry. Call it before closing the HTTP server, whose
   * `close()` waits for open streams. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.registry.off('ended', this.#onEnded);
    for (const slot of [...this.#sessions.values()]) {
      for (const a of [...slot.attachments]) this.#drop(a);
    }
    this.#recentlyEnded.clear();
    this.#stopHeartbeat();
  }

  /** `using live = new LiveConnections(registry)` closes it at the end of the scope. */
  [Symbol.dispose](): void {
    this.close();
  }

  readonly #forget = (attachment: Attachment): void => {
    if (!attachment.attached) return;
    attachment.attached = false;
    const slot = this.#sessions.get(attachment.sessionId);
    if (slot) {
      slot.attachments.delete(attachment);
      if (slot.attachments.size === 0) this.#sessions.delete(attachment.sessionId);
    }
    const principalSet = this.#principals.get(attachment.principalKey);
    if (principalSet) {
      principalSet.delete(attachment);
      if (principalSet.size === 0) this.#principals.delete(attachment.principalKey);
    }
    if (attachment.connectionId !== undefined) {
      const idKey = `${attachment.principalKey}\u0000${attachment.connectionId}`;
      if (this.#byConnectionId.get(idKey) === attachment) this.#byConnectionId.delete(idKey);
    }
    if (--this.#open === 0) this.#stopHeartbeat();
  };

  #refuse(scope: 'session' | 'principal', limit: number): never {
    this.#rejected++;
    throw new ConnectionLimitError(scope, limit);
  }

  #evictOver(attachments: Set<Attachment> | undefined, limit: number): void {
    // Sets iterate in insertion order: the first is the oldest connection.
    while (attachments && attachments.size >= limit) {
      const oldest = attachments.values().next().value;
      if (!oldest) return;
      this.#evicted++;
      this.#drop(oldest, STREAM_CLOSED_EVENT, 'connection_limit' satisfies StreamCloseReason);
    }
  }

  #sessionEnded(sessionId: string, reason: LiveEndReason): void {
    if (this.#rememberEnded > 0) {
      this.#recentlyEnded.delete(sessionId);
      this.#recentlyEnded.set(sessionId, reason);
      if (this.#recentlyEnded.size > this.#rememberEnded) {
        const oldest = this.#recentlyEnded.keys().next().value;
        if (oldest !== undefined) this.#recentlyEnded.delete(oldest);
      }
    }
    const slot = this.#sessions.get(sessionId);
    if (!slot) return;
    for (const a of [...slot.attachments]) {
      this.#ended++;
      this.#drop(a, SESSION_ENDED_EVENT, reason);
    }
  }

  #drop(attachment: Attachment, event?: string, reason?: string): void {
    if (!attachment.attached) return;
    this.#forget(attachment);
    if (event === undefined) closeQuietly(attachment.connection);
    else finish(attachment.connection, event, reason ?? 'unknown');
  }

  #startHeartbeat(): void {
    this.#timer = setInterval(() => this.#beat(), this.#heartbeatInterval);
    this.#timer.unref();
  }

  #stopHeartbeat(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #beat(): void {
    const now = this.registry.now();
    for (const [sessionId, slot] of [...this.#sessions]) {
      for (const a of [...slot.attachments]) {
        let alive: boolean | void = true;
        try {
          alive = a.connection.ping?.();
        } catch {
          alive = false;
        }
        if (alive === false) {
          this.#dead++;
          this.#drop(a);
        }
      }
      if (slot.attachments.size > 0 && !slot.checking && now - slot.touchedAt >= this.#touchInterval) {
        slot.touchedAt = now;
        slot.checking = true;
        this.#touch(sessionId, slot);
      }
    }
  }

  #touch(sessionId: string, slot: SessionSlot): void {
    this.registry.check(sessionId, slot.principalKey).then(
      (result) => {
        slot.checking = false;
        if (this.#closed) return;
        // An expiry found by this check was already announced through `ended`; this also
        // catches ends this process missed (a lost bus message, a flushed store).
        if (result.status === 'ended') this.#sessionEnded(sessionId, result.reason);
        else if (result.status === 'unknown') this.#sessionEnded(sessionId, 'unknown');
      },
      () => {
        slot.checking = false;
      },
    );
  }
}

/** One attached connection. */
class Attachment implements LiveHandle {
  attached = true;

  constructor(
    readonly sessionId: string,
    readonly principalKey: string,
    readonly connectionId: string | undefined,
    readonly connection: LiveConnection,
    readonly onDetach: (attachment: Attachment) => void,
  ) {}

  send(event: string, data: unknown): void {
    if (!this.attached) return;
    try {
      this.connection.send(event, data);
    } catch {
      // A connection that cannot write is dead; its close handler detaches it.
    }
  }

  detach(): void {
    this.onDetach(this);
  }
}

function finish(connection: LiveConnection, event: string, reason: string): void {
  try {
    connection.send(event, { reason });
  } catch {
    // The final event is best effort: the connection is closed either way.
  }
  closeQuietly(connection);
}

function closeQuietly(connection: LiveConnection): void {
  try {
    connection.close();
  } catch {
    // Already closed.
  }
}

function cap(value: unknown, name: string): number {
  if (value === undefined) return Infinity;
  if (value === Infinity || (typeof value === 'number' && Number.isInteger(value) && value >= 1)) return value;
  throw new InvalidOptionError(name, `must be an integer of at least 1 or Infinity, got ${String(value)}`);
}

function positive(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= 2 ** 31 - 1) return value;
  throw new InvalidOptionError(name, 'must be a number of milliseconds, more than 0 and at most 2^31 - 1');
}

/**
 * A target names one session (`sessionId`, which wins, as for a whole session record) or
 * one principal (`principalKey`): an object with neither as a string is a mistake
 * (`{ sessionid }`), not a target that reaches nobody.
 */
function checkTarget(target: LiveTarget): void {
  const given = (target ?? {}) as { sessionId?: unknown; principalKey?: unknown };
  if (typeof given !== 'object' || ('sessionId' in given ? typeof given.sessionId !== 'string' : typeof given.principalKey !== 'string')) {
    const keys = target !== null && typeof target === 'object' ? Object.keys(target) : [];
    throw new InvalidOptionError('target', `must be { sessionId } or { principalKey } with a string, got ${keys.length ? `{ ${keys.join(', ')} }` : typeof target}`);
  }
}
