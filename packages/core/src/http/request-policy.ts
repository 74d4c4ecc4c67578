import { SessionPolicyError, InvalidOptionError, InvalidSessionIdError } from '../errors.js';
import { openEventStream, type EventStreamOptions } from '../live/event-stream.js';
import type { LiveHandle } from '../live/live-connection.js';
import type { LiveConnections } from '../live/live-connections.js';
import type { CheckResult, PeekMiss, SessionRegistry } from '../registry.js';
import type { EndReason, SessionInfo } from '../session.js';
import type { EndedReason, HttpAnswer } from './answers.js';
import { checkVerdict } from './check-verdict.js';
import type { HttpPolicy } from './http-policy.js';
import type { RequestInfo } from './request-info.js';
import type { SessionBinding } from './session-binding.js';
import { isSessionHandle, sessionHandle } from './session-handle.js';
import { toSessionView, type SessionView } from './session-view.js';
import { rejectUnknownOptions } from '../unknown-options.js';

/** Options of {@link RequestPolicy.login}. @public */
export interface LoginOptions {
  /** A stable id of the device or browser (shown on "your devices"; see same-device-first). */
  readonly deviceId?: string | undefined;
  /**
   * The handle of one of the principal's sessions to end first (reason `revoked`): the
   * answer to a refused login's "sign out another device?". Ignored when it names no
   * active session of the principal; anything but a handle-shaped string is refused with
   * `ERR_INVALID_OPTION`.
   */
  readonly signOut?: string | undefined;
  /** Free application data stored with the session. */
  readonly attributes?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The result of {@link RequestPolicy.login}: admitted, or refused with what the
 * application needs to render "sign out another device?".
 *
 * @public
 */
export type LoginResult =
  | {
      /** Discriminant. */
      readonly ok: true;
      /** The new session. */
      readonly session: SessionView;
      /** Sessions that gave way to this login (evicted or replaced). */
      readonly ended: readonly SessionView[];
    }
  | {
      /** Discriminant. */
      readonly ok: false;
      /**
       * `ERR_SESSION_LIMIT`: the principal is at its limit and nothing may be evicted;
       * `ERR_SESSION_ENDED`: the session id was already ended (issue a new one).
       */
      readonly code: 'ERR_SESSION_LIMIT' | 'ERR_SESSION_ENDED';
      /** The principal's limit. */
      readonly limit: number;
      /** The active sessions holding the slots. */
      readonly holders: readonly SessionView[];
    };

/** Options of {@link RequestPolicy.logoutEverywhere}. @public */
export interface LogoutEverywhereOptions {
  /** Keep this request's session ("log out other devices"). Default `false`. */
  readonly keepCurrent?: boolean | undefined;
}

/**
 * The policy as seen by one request: the check every tracked request goes through, and
 * the helpers adapters put on `req.sessionPolicy`, `ctx.sessionPolicy` or
 * `request.sessionPolicy`. Made by {@link HttpPolicy.request}.
 *
 * Helpers throw `ERR_STORE` when the store fails and `ERR_INVALID_PRINCIPAL` /
 * `ERR_INVALID_OPTION` for bad input; a refused login is a {@link LoginResult}, not an error.
 *
 * @public
 */
export class RequestPolicy {
  /** The registry (for live connections and anything the helpers do not cover). */
  readonly registry: SessionRegistry;
  /** What the adapter read from the request, including the raw Node request and response. */
  readonly info: RequestInfo;
  /** The current session, once {@link check} found it active or {@link login} admitted it. */
  session: SessionInfo | undefined;
  readonly #policy: HttpPolicy;
  readonly #binding: SessionBinding;

  /**
   * @param policy - the shared policy.
   * @param binding - the request's session.
   * @param info - the request.
   */
  constructor(policy: HttpPolicy, binding: SessionBinding, info: RequestInfo) {
    this.#policy = policy;
    this.#binding = binding;
    this.registry = policy.registry;
    this.info = info;
  }

  /**
   * Opens a Server-Sent Events stream bound to this request's active session (see
   * {@link openEventStream}: headers, `retry:` hint, heartbeats, the final
   * `session_ended` event, detach on disconnect) on the raw Node response the adapter
   * passed in {@link RequestInfo.raw}. Returns `'no-session'` — nothing written — when the
   * request has no active session, so the adapter can answer 401; the stream's handle
   * otherwise (`undefined` when a connection cap refused it and answered 409).
   *
   * @param connections - the live connections of this registry.
   * @param options - the stream's options, but the manager and the session.
   */
  openEventStream(
    connections: LiveConnections,
    options: Omit<EventStreamOptions, 'connections' | 'session'> = {},
  ): LiveHandle | undefined | 'no-session' {
    const raw = this.info.raw;
    if (!this.session || !raw) return 'no-session';
    return openEventStream(raw.req, raw.res, { ...options, connections, session: this.session });
  }

  /** The handle of the current session, if the request has a tracked one. */
  get handle(): string | undefined {
    const id = this.#binding.principalKey() === undefined ? undefined : this.#binding.id();
    return id ? sessionHandle(id) : undefined;
  }

  /**
   * The per-request check. Gives `undefined` to let the request through (no tracked
   * session, an active one, or a store failure under fail-open), or the answer to send:
   * the ended-session answer (after destroying the session in its library) or 503 when
   * the store fails under fail-closed. Never throws or rejects.
   *
   * When the store can answer from memory (see {@link SessionRegistry.peek}) and the
   * request may pass, the result is given synchronously; otherwise it is a promise.
   * Adapters call `next()` in the same tick for a synchronous `undefined`.
   */
  check(): HttpAnswer | undefined | Promise<HttpAnswer | undefined> {
    const key = this.#binding.principalKey();
    if (key === undefined) return undefined;
    const id = this.#binding.id();
    return this.checkPeeked(this.registry.peekRequest(id, key), id, key);
  }

  /**
   * {@link check} from the registry's in-memory answer for the session the request
   * carries (what {@link SessionRegistry.peekRequest} gave): the store is asked only
   * when memory could not tell.
   *
   * @internal The {@link RequestGate}'s path: one in-memory check a request.
   * @param peeked - the in-memory answer.
   * @param id - the session id the request carries.
   * @param key - the principal key in its session.
   */
  checkPeeked(peeked: SessionInfo | PeekMiss | undefined, id: string | undefined, key: string): HttpAnswer | undefined | Promise<HttpAnswer | undefined> {
    if (peeked === undefined) return this.registry.check(id, key).then((result) => this.#verdict(result));
    if (!('status' in peeked)) {
      this.session = peeked;
      return undefined;
    }
    return this.#verdict(peeked);
  }

  #verdict(result: CheckResult): HttpAnswer | undefined | Promise<HttpAnswer> {
    const verdict = checkVerdict(result);
    if (verdict === 'pass') {
      if (result.status === 'active') this.session = result.session;
      return undefined;
    }
    if (verdict === 'unavailable') return this.#policy.unavailableAnswer(this.info);
    return this.#ended(verdict, result.status === 'ended' ? result.session : undefined);
  }

  /**
   * Logs a principal in on this request: gives the request a fresh session id where the
   * session library can (session fixation), ends the session the request carried if it
   * was tracked, admits the new one under the limit, and marks the session with the
   * principal key. Store your own data in the session after this call.
   *
   * @param principal - the user (object, id, email…).
   * @param options - see {@link LoginOptions}.
   */
  async login(principal: unknown, options: LoginOptions = {}): Promise<LoginResult> {
    const key = this.registry.key(principal);
    checkLoginOptions(options);
    const previousId = this.#binding.id();
    const previousKey = this.#binding.principalKey();
    if (this.#binding.regenerate) await this.#binding.regenerate();
    const sessionId = this.#binding.id();
    if (sessionId === undefined) throw new InvalidSessionIdError('the session library gave the request no session id to log in with');
    if (previousKey !== undefined && previousId !== undefined && (previousId !== sessionId || previousKey !== key)) {
      await this.#end(previousId, previousKey, previousKey === key ? 'replaced' : 'logout');
    }
    if (isSessionHandle(options.signOut)) {
      const holder = (await this.registry.list(key)).find((s) => sessionHandle(s.sessionId) === options.signOut);
      if (holder) await this.#end(holder.sessionId, key, 'revoked');
    }
    const { userAgent, ip } = this.info;
    const result = await this.registry.admit({
      principal,
      sessionId,
      deviceId: options.deviceId,
      userAgent,
      ip,
      ...(options.attributes === undefined ? {} : { attributes: options.attributes }),
    });
    if (!result.admitted) {
      this.session = undefined;
      return { ok: false, code: result.code, limit: result.limit, holders: result.holders.map((s) => toSessionView(s)) };
    }
    await this.#binding.setPrincipalKey(result.session.principalKey);
    this.session = result.session;
    return {
      ok: true,
      session: toSessionView(result.session, sessionId),
      ended: [...result.evicted, ...result.replaced].map((s) => toSessionView(s)),
    };
  }

  /**
   * Logs this session out: ends it in the registry and destroys it in the session
   * library, always. When the store does not answer (`ERR_STORE`) the registry keeps the
   * end and writes it once the store answers again (events `endQueued`, then
   * `endDelivered` or `endDropped`), and this resolves `true` all the same: the device is
   * signed out here and now. Other errors are thrown after the local sign-out. Returns
   * whether a tracked session was (or will be) ended.
   */
  async logout(): Promise<boolean> {
    const id = this.#binding.id();
    const key = this.#binding.principalKey();
    try {
      return id !== undefined && key !== undefined && (await this.#end(id, key, 'logout')) !== undefined;
    } catch (error) {
      if (queued(error)) return true;
      throw error;
    } finally {
      await this.#destroy();
    }
  }

  /**
   * Ends every session of this request's principal ("log out everywhere"), or every
   * other one with `keepCurrent`. Returns how many sessions ended (0 without a tracked
   * session). When the store does not answer, the end is queued as for {@link logout},
   * the current session is still destroyed here (without `keepCurrent`), and this
   * resolves 0 (the count is known once `endDelivered` fires).
   *
   * @param options - see {@link LogoutEverywhereOptions}.
   */
  async logoutEverywhere(options: LogoutEverywhereOptions = {}): Promise<number> {
    rejectUnknownOptions(options, LOGOUT_EVERYWHERE_NAMES, 'logoutEverywhere()');
    const key = this.#binding.principalKey();
    if (key === undefined) return 0;
    const id = this.#binding.id();
    const keep = options.keepCurrent === true && id !== undefined;
    try {
      return (await this.registry.endAll(key, keep ? { except: id } : {})).length;
    } catch (error) {
      if (queued(error)) return 0;
      throw error;
    } finally {
      if (!keep) await this.#destroy();
    }
  }

  /** The active sessions of this request's principal, oldest first ([] without a tracked session). */
  async sessions(): Promise<SessionView[]> {
    const key = this.#binding.principalKey();
    if (key === undefined) return [];
    const id = this.#binding.id();
    return (await this.registry.list(key)).map((s) => toSessionView(s, id));
  }

  /**
   * Revokes one of the principal's own active sessions by its handle (reason `revoked`).
   * Returns `false` for anything else — another principal's session, an ended one, a
   * handle that names nothing, garbage — so callers answer 404 alike and reveal nothing.
   * Revoking the current session also destroys it here. When the store does not answer,
   * the revoke is queued (kind `handle`, matched once the store answers) and this
   * resolves `true`: whether the handle names a session is known only at delivery.
   *
   * @param handle - the session's handle (from {@link sessions}).
   */
  async revoke(handle: unknown): Promise<boolean> {
    const key = this.#binding.principalKey();
    if (key === undefined || !isSessionHandle(handle)) return false;
    let ended: boolean;
    try {
      ended = (await this.registry.endByHandle(handle, key, 'revoked')) !== undefined;
    } catch (error) {
      if (error instanceof SessionPolicyError && error.code === 'ERR_INVALID_PRINCIPAL') return false;
      // Queued: the store did not answer (the handle is then matched when it does).
      if (!queued(error)) throw error;
      ended = true;
    }
    const id = this.#binding.id();
    if (ended && id !== undefined && sessionHandle(id) === handle) await this.#destroy();
    return ended;
  }

  async #ended(reason: EndedReason, session: SessionInfo | undefined): Promise<HttpAnswer> {
    try {
      await this.#destroy();
    } catch (error) {
      // The answer still tells the device its session is over; the library's failure is
      // reported, not turned into a 500.
      this.#policy.report(error);
    }
    return this.#policy.endedAnswer(reason, session, this.info);
  }

  async #destroy(): Promise<void> {
    this.session = undefined;
    await this.#binding.destroy();
  }

  // Ends a session the request names; a malformed id or key from session data ends nothing.
  async #end(sessionId: string, key: string, reason: EndReason): Promise<SessionInfo | undefined> {
    try {
      return await this.registry.end(sessionId, key, reason);
    } catch (error) {
      if (error instanceof SessionPolicyError && (error.code === 'ERR_INVALID_SESSION_ID' || error.code === 'ERR_INVALID_PRINCIPAL')) {
        return undefined;
      }
      throw error;
    }
  }
}

const LOGIN_NAMES = Object.keys({ deviceId: true, signOut: true, attributes: true } satisfies Record<keyof LoginOptions, true>);
const LOGOUT_EVERYWHERE_NAMES = Object.keys({ keepCurrent: true } satisfies Record<keyof LogoutEverywhereOptions, true>);

/** Refuses login options of the wrong type or name (a bad `signOut` would otherwise be ignored). */
function checkLoginOptions(options: LoginOptions): void {
  rejectUnknownOptions(options, LOGIN_NAMES, 'login()');
  if (options.signOut !== undefined && !isSessionHandle(options.signOut)) {
    throw new InvalidOptionError('signOut', `must be the handle of one of the principal's sessions (a holder's \`handle\`), got ${typeof options.signOut === 'string' ? 'a string of another shape' : typeof options.signOut}`);
  }
  if (options.deviceId !== undefined && typeof options.deviceId !== 'string') throw new InvalidOptionError('deviceId', `must be a string, got ${typeof options.deviceId}`);
  if (options.attributes !== undefined && (options.attributes === null || typeof options.attributes !== 'object')) {
    throw new InvalidOptionError('attributes', 'must be an object');
  }
}

/** Whether an end failed because the store did not answer: the registry queued it. */
function queued(error: unknown): boolean {
  return error instanceof SessionPolicyError && error.code === 'ERR_STORE';
}
