import { EventEmitter } from 'node:events';
import { ClosedError, InvalidOptionError, SessionPolicyError, toStoreError } from './errors.js';
import { byCreation } from './creation-order.js';
import { createMemoryStore } from './memory-store.js';
import { PendingEnds, type DroppedReason, type PendingEnd } from './pending-ends.js';
import { checkLimit, resolveOptions, type ResolvedOptions, type SessionRegistryOptions } from './options.js';
import { PendingTouches } from './pending-touches.js';
import { sessionRecord } from './record-shape.js';
import { END_REASONS, type EndReason, type NewSession, type SessionInfo } from './session.js';
import { assertSessionId } from './session-id.js';
import { isSessionHandle, sessionHandle } from './http/session-handle.js';
import type { AdmitAccepted, AdmitRefused, CheckOutcome, SessionStore } from './store.js';
import type { Timeouts } from './timeouts.js';
import { rejectUnknownOptions } from './unknown-options.js';

/**
 * The result of {@link SessionRegistry.admit}: the login was admitted (with what it
 * evicted, replaced or found expired), or refused with a code and the sessions holding
 * the slots, so the application can offer "sign out another device?".
 *
 * @public
 */
export type AdmitResult = AdmitAccepted | AdmitRefused;

/**
 * The result of {@link SessionRegistry.check}, the per-request check.
 *
 * - `active`: the session is live (and was touched if due).
 * - `ended`: the session ended; `reason` says why (tell the device). Also while an end of
 *   it waits in this process's queue (the store did not take it yet: see
 *   {@link SessionRegistry.pendingEnds}); `session` then has the store's record if it
 *   could be read, else the end's times.
 * - `unknown`: the registry does not know this session (never admitted, or forgotten
 *   after retention).
 * - `invalid`: the session id or principal is malformed (hostile or garbage input).
 * - `unavailable`: the store failed; `allow` is what `onStoreError` says to do.
 *
 * @public
 */
export type CheckResult =
  | { readonly status: 'active'; readonly session: SessionInfo }
  | { readonly status: 'ended'; readonly session: SessionInfo; readonly reason: EndReason }
  | { readonly status: 'unknown' }
  | { readonly status: 'invalid'; readonly error: SessionPolicyError }
  | { readonly status: 'unavailable'; readonly error: SessionPolicyError; readonly allow: boolean };

/**
 * Where an `ended` event comes from: this process, or another process sharing the store
 * (through its revocation bus).
 *
 * @public
 */
export type EndOrigin = 'local' | 'remote';

/**
 * The registry's events. Listeners run synchronously; keep them quick.
 *
 * - `admitted`: a login was admitted (not emitted when the session was already active).
 * - `rejected`: a login was refused (`ERR_SESSION_LIMIT` or `ERR_SESSION_ENDED`).
 * - `evicted`: a session gave way to a login (reason `evicted` or `replaced`).
 * - `expired`: a session passed its idle or absolute timeout (found by a check, a login,
 *   a listing or a sweep).
 * - `ended`: any session ended, for any reason, here (`local`) or in another process
 *   (`remote`). Close live connections on this one.
 * - `error`: a problem that is not an operation's failure (corrupt value, sweep failure,
 *   lost subscription). Emitted only when someone listens, so it never crashes.
 * - `endQueued`: `end`, `endByHandle` or `endAll` failed with `ERR_STORE` (the store did not answer);
 *   the end is kept in this process's bounded queue and retried (see {@link PendingEnd}).
 * - `endDelivered`: a queued end was written (the sessions it ended also get `ended`).
 * - `endDropped`: a queued end was given up (see {@link DroppedReason}).
 *
 * @public
 */
export interface RegistryEvents {
  endQueued: [end: PendingEnd];
  endDelivered: [end: PendingEnd, ended: readonly SessionInfo[]];
  endDropped: [end: PendingEnd, why: DroppedReason];
  admitted: [session: SessionInfo];
  rejected: [refusal: AdmitRefused & { readonly candidate: SessionInfo }];
  evicted: [session: SessionInfo];
  expired: [session: SessionInfo];
  ended: [session: SessionInfo, origin: EndOrigin];
  error: [error: Error];
}

/**
 * Counters of this process's registry since it was created.
 *
 * @public
 */
export interface RegistryStats {
  /** Sessions admitted here, less those ended here (this process's view). */
  readonly active: number;
  /** Logins admitted. */
  readonly admitted: number;
  /** Logins refused. */
  readonly rejected: number;
  /** Sessions ended here, by reason. */
  readonly ended: Readonly<Record<EndReason, number>>;
  /** Sessions ended by other processes, as learned through the store. */
  readonly endedRemotely: number;
  /** Expired sessions ended by sweeps. */
  readonly swept: number;
}

/** Options of {@link SessionRegistry.endAll}. @public */
export interface EndAllOptions {
  /** Keep this session ("log out other devices"). */
  readonly except?: string;
  /** Why they end. Default `logout`. */
  readonly reason?: EndReason;
}

/** Options of {@link SessionRegistry.list}. @public */
export interface ListOptions {
  /** Include ended sessions still remembered. Default `false`. */
  readonly includeEnded?: boolean;
}

/**
 * The session registry: the policy engine. It knows which sessions each principal has,
 * admits logins under the principal's limit (evicting or rejecting), checks sessions on
 * requests, ends them, expires idle and old ones, and tells listeners about all of it.
 * It knows no web framework; adapters translate requests into these calls.
 *
 * @example
 * ```ts
 * const registry = new SessionRegistry({ maxSessions: 2, idleTimeout: 15 * 60_000 });
 * const result = await registry.admit({ principal: user, sessionId: req.sessionID });
 * if (!result.admitted) showDevices(result.holders);
 * const check = await registry.check(req.sessionID, user.id);
 * ```
 * @public
 */
export class SessionRegistry extends EventEmitter<RegistryEvents> {
  /** The store in use. */
  readonly store: SessionStore;
  readonly #options: ResolvedOptions;
  readonly #ended: Record<EndReason, number> = Object.fromEntries(END_REASONS.map((r) => [r, 0])) as Record<EndReason, number>;
  #admitted = 0;
  #rejected = 0;
  #endedRemotely = 0;
  #swept = 0;
  #closed = false;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #unsubscribe: Array<() => void> = [];
  readonly #touches: PendingTouches;
  // Ends the store did not take during an outage (issue #19), retried until it answers.
  readonly #pendingEnds: PendingEnds;
  // The request `peek` hands the store, reused: the per-request path allocates nothing.
  readonly #peekRequest: { principalKey: string; sessionId: string; now: number; timeouts: Timeouts };

  /** @param options - see {@link SessionRegistryOptions}. */
  constructor(options: SessionRegistryOptions = {}) {
    super();
    this.#options = resolveOptions(options);
    this.store = this.#options.store ?? createMemoryStore();
    // `now` starts as a fraction so the field holds doubles in place from the first store on.
    this.#peekRequest = { principalKey: '', sessionId: '', now: 0.5, timeouts: this.#options.timeouts };
    const { touchInterval, clock, timeouts } = this.#options;
    this.#touches = new PendingTouches(this.store, touchInterval, clock, timeouts, (error) => this.#report(toStoreError('touch', error)));
    this.#pendingEnds = new PendingEnds(this.store, () => ({ now: this.now(), timeouts: this.#options.timeouts }), {
      delivered: (end, ended, expired) => {
        this.#expired(expired);
        for (const s of ended) this.#endedLocally(s);
        this.emit('endDelivered', end, ended);
      },
      dropped: (end, why) => this.emit('endDropped', end, why),
    });
    if (this.store.watch) {
      this.#unsubscribe.push(this.store.watch((sessions) => this.#remoteEnded(sessions)));
    }
    if (this.store.onError) {
      this.#unsubscribe.push(this.store.onError((error) => this.#report(error)));
    }
    if (this.#options.sweepInterval > 0) {
      this.#timer = setInterval(() => {
        this.sweep().catch((error: unknown) => this.#report(toStoreError('sweep', error)));
      }, this.#options.sweepInterval);
      this.#timer.unref();
    }
  }

  /** The current time on the registry's clock. */
  now(): number {
    return this.#options.clock();
  }

  /**
   * The canonical key of a principal. Throws `ERR_INVALID_PRINCIPAL` for anything that
   * does not identify a user.
   *
   * @param principal - a user object, id, email…
   */
  key(principal: unknown): string {
    return this.#options.principalKey(principal);
  }

  /**
   * Admits a login. Over the limit, evicts sessions chosen by the policy, or refuses the
   * login (`onLimit: 'reject'`, or a policy that protects every session). Re-admitting a
   * session id already active for the principal changes nothing. An ended session id is
   * refused with `ERR_SESSION_ENDED`.
   *
   * A session id active for another principal is ended there (reason `replaced`, in the
   * result's `replaced`): an id belongs to one principal at a time. The user agent is cut
   * to 512 characters; `deviceId: ''` means no device (rules R4, R15, R17 of
   * `docs/storage-rules.md`).
   *
   * Throws `ERR_INVALID_PRINCIPAL` / `ERR_INVALID_SESSION_ID` for bad input,
   * `ERR_INVALID_OPTION` for bad login fields (naming the field: `attributes` over
   * `maxAttributesBytes` serialized, a `deviceId` or `ip` over 1024 characters) and
   * `ERR_STORE` when the store fails.
   *
   * @param login - the new session.
   */
  async admit(login: NewSession): Promise<AdmitResult> {
    this.#open();
    rejectUnknownOptions(login, NEW_SESSION_NAMES, 'admit()');
    const principalKey = this.key(login.principal);
    const sessionId = assertSessionId(login.sessionId, this.#options.maxSessionIdLength);
    const { maxSessions, onLimit, policy, timeouts } = this.#options;
    const limit = checkLimit(typeof maxSessions === 'function' ? await maxSessions(login.principal, principalKey) : maxSessions);
    const deviceId = optionalString('deviceId', login.deviceId);
    const userAgent = optionalString('userAgent', login.userAgent, MAX_USER_AGENT);
    const ip = optionalString('ip', login.ip);
    const attrs = login.attributes === undefined ? undefined : attributes(login.attributes, this.#options.maxAttributesBytes);
    let outcome: AdmitResult;
    let candidate: SessionInfo;
    try {
      // R11: the principal's pending touches first, so eviction order is exact here.
      await this.#touches.flushPrincipal(principalKey);
      const now = this.now();
      candidate = sessionRecord({
        sessionId,
        principalKey,
        createdAt: now,
        lastSeenAt: now,
        // R15: '' is no device.
        ...(deviceId ? { deviceId } : {}),
        ...(userAgent === undefined ? {} : { userAgent }),
        ...(ip === undefined ? {} : { ip }),
        ...(attrs === undefined ? {} : { attributes: attrs }),
        state: 'active',
      });
      outcome = await this.store.admit({ candidate, limit, onLimit, policy, timeouts, now });
    } catch (error) {
      throw toStoreError('admit', error);
    }
    this.#expired(outcome.expired);
    if (!outcome.admitted) {
      this.#rejected++;
      this.emit('rejected', { ...outcome, candidate });
      return outcome;
    }
    for (const s of outcome.replaced) this.#endedLocally(s, 'evicted');
    for (const s of outcome.evicted) this.#endedLocally(s, 'evicted');
    if (!outcome.alreadyActive) {
      this.#admitted++;
      this.emit('admitted', outcome.session);
    }
    return outcome;
  }

  /**
   * Checks a session on a request: the per-request path. Never throws: bad input gives
   * `invalid`, a store failure gives `unavailable` with `allow` set by `onStoreError`.
   *
   * @param sessionId - the session id the request carries.
   * @param principal - the session's principal (or its key, as stored at login).
   */
  async check(sessionId: unknown, principal: unknown): Promise<CheckResult> {
    let principalKey: string;
    let id: string;
    try {
      this.#open();
      principalKey = this.key(principal);
      id = assertSessionId(sessionId, this.#options.maxSessionIdLength);
    } catch (error) {
      return { status: 'invalid', error: error as SessionPolicyError };
    }
    // An end of this session the store did not take yet (issue #19): refused here all the
    // same, so a copied cookie does not outlive the logout in the process that was asked.
    const pending = this.#pendingEnds.size > 0 ? this.#pendingEnds.covering(principalKey, id) : undefined;
    if (pending && pending.kind !== 'all') return queuedEnded(pending, principalKey, id);
    try {
      const request = { principalKey, sessionId: id, now: this.now(), timeouts: this.#options.timeouts };
      // R7: a session seen here since the store's lastSeenAt must not expire as idle there.
      if (this.#touches.due(request)) {
        await this.#touches.flushPrincipal(principalKey);
        request.now = this.now();
      }
      const outcome = await this.store.check(request);
      if (outcome.expired) this.#expired(outcome.expired);
      switch (outcome.status) {
        case 'active':
          // A waiting "log out everywhere" ends the sessions that began before it.
          if (pending && outcome.session.createdAt <= pending.queuedAt) return queuedEnded(pending, principalKey, id, outcome.session);
          // R11: recorded in memory now: in the store's own (embedded), else here, written behind.
          if (!this.store.seen?.(outcome.session, request)) this.#touches.seen(request, outcome.session.lastSeenAt);
          return { status: 'active', session: outcome.session };
        case 'unknown':
          this.#touches.forget(principalKey, id);
          return UNKNOWN;
        case 'ended':
          if (outcome.expiredNow) this.#expired([outcome.session]);
          return { status: 'ended', session: outcome.session, reason: outcome.session.endReason ?? 'logout' };
      }
    } catch (error) {
      const storeError = toStoreError('check', error);
      this.#report(storeError);
      // Still down, with a "log out everywhere" of the principal waiting: refused.
      if (pending) return queuedEnded(pending, principalKey, id);
      return { status: 'unavailable', error: storeError, allow: this.#options.failOpen };
    }
  }

  /**
   * The per-request check without a promise, when the store can answer from memory (the
   * embedded store, or the Redis store's near cache) with no write due: the same answer
   * {@link check} would give. Returns `undefined` when only {@link check} can tell; call
   * it then. The adapters' per-request path is `peekRequest` (internal: the same check, the
   * session itself when active); {@link peekActive} answers the active case alone.
   *
   * @param sessionId - the session id the request carries.
   * @param principal - the session's principal (or its key, as stored at login).
   */
  peek(sessionId: unknown, principal: unknown): CheckResult | undefined {
    const outcome = this.#peek(sessionId, principal);
    if (outcome === undefined || outcome instanceof Error || outcome.status !== 'active') return miss(outcome);
    return { status: 'active', session: outcome.session };
  }

  /**
   * {@link peek} for the per-request path, in one in-memory check: the session itself
   * when `peek` would answer `active` (nothing allocated), else `peek`'s answer
   * (`undefined`: only {@link check} can tell).
   *
   * @internal The HTTP helpers' and the upgrade check's path.
   * @param sessionId - the session id the request carries.
   * @param principal - the session's principal (or its key, as stored at login).
   */
  peekRequest(sessionId: unknown, principal: unknown): SessionInfo | PeekMiss | undefined {
    const outcome = this.#peek(sessionId, principal);
    if (outcome === undefined || outcome instanceof Error || outcome.status !== 'active') return miss(outcome);
    return outcome.session;
  }

  /**
   * {@link peek} for the common case only: the session when `peek` would answer
   * `active` (its touch recorded, as `peek` records it), `undefined` for anything else
   * (ended, unknown, invalid, or only {@link check} can tell: call {@link peek} or
   * {@link check} then). It allocates nothing and makes no promise: the path of an active
   * session's request with nothing due.
   *
   * @param sessionId - the session id the request carries.
   * @param principal - the session's principal (or its key, as stored at login).
   */
  peekActive(sessionId: unknown, principal: unknown): SessionInfo | undefined {
    const outcome = this.#peek(sessionId, principal);
    return outcome !== undefined && !(outcome instanceof Error) && outcome.status === 'active' ? outcome.session : undefined;
  }

  /**
   * The store's in-memory answer (read at once: the store may reuse the object), with the
   * touch of an active session recorded; the input's error when it is invalid; `undefined`
   * when only {@link check} can tell.
   */
  #peek(sessionId: unknown, principal: unknown): CheckOutcome | SessionPolicyError | undefined {
    const peek = this.store.peek;
    if (!peek || this.#closed) return undefined;
    let principalKey: string;
    let id: string;
    try {
      principalKey = this.key(principal);
      id = assertSessionId(sessionId, this.#options.maxSessionIdLength);
    } catch (error) {
      return error as SessionPolicyError;
    }
    // The time travels in the request object: a number passed to a call would be boxed.
    const request = this.#peekRequest;
    request.principalKey = principalKey;
    request.sessionId = id;
    request.now = this.now();
    // A pending touch the store's idle expiry would miss: only check can flush it first.
    // A waiting end that may cover this session: only check tells (the other sessions of
    // the principal are still answered from memory).
    if (this.#touches.due(request) || (this.#pendingEnds.size > 0 && this.#pendingEnds.covering(principalKey, id) !== undefined)) return undefined;
    let outcome;
    try {
      outcome = peek.call(this.store, request);
    } catch {
      return undefined;
    }
    if (!outcome || outcome.expired || (outcome.status === 'ended' && outcome.expiredNow)) return undefined;
    // R11: recorded in memory now: in the store's own (embedded), else here, written behind.
    if (outcome.status === 'active' && !this.store.seen?.(outcome.session, request)) this.#touches.seen(request, outcome.session.lastSeenAt);
    return outcome;
  }

  /**
   * Lists a principal's sessions, oldest first ("your devices").
   *
   * @param principal - the principal or its key.
   * @param options - see {@link ListOptions}.
   */
  async list(principal: unknown, options: ListOptions = {}): Promise<SessionInfo[]> {
    this.#open();
    rejectUnknownOptions(options, LIST_NAMES, 'list()');
    const principalKey = this.key(principal);
    let outcome;
    try {
      // R11: the devices page shows the last seen of this process's latest requests.
      await this.#touches.flushPrincipal(principalKey);
      outcome = await this.store.list({ principalKey, now: this.now(), timeouts: this.#options.timeouts });
    } catch (error) {
      throw toStoreError('list', error);
    }
    this.#expired(outcome.expired);
    const sessions = options.includeEnded ? [...outcome.sessions] : outcome.sessions.filter((s) => s.state === 'active');
    return sessions.sort(byCreation);
  }

  /**
   * Ends one active session of a principal. Returns the ended session, or `undefined` if
   * the principal has no such active session (whatever else exists is not revealed).
   *
   * @param sessionId - the session to end.
   * @param principal - its principal (or key): a principal can only end its own sessions.
   * @param reason - why. Default `logout`.
   */
  async end(sessionId: unknown, principal: unknown, reason: EndReason = 'logout'): Promise<SessionInfo | undefined> {
    this.#open();
    const principalKey = this.key(principal);
    const id = assertSessionId(sessionId, this.#options.maxSessionIdLength);
    checkReason(reason);
    let outcome;
    try {
      await this.#touches.flushPrincipal(principalKey);
      outcome = await this.store.end({ principalKey, sessionId: id, reason, now: this.now(), timeouts: this.#options.timeouts });
    } catch (error) {
      throw this.#queueEnd(toStoreError('end', error), { kind: 'one', principalKey, sessionId: id, reason, queuedAt: this.now() });
    }
    this.#expired(outcome.expired);
    for (const s of outcome.ended) this.#endedLocally(s);
    return outcome.ended[0];
  }

  /**
   * Ends the principal's active session of this handle (see `sessionHandle`: what a
   * devices page shows instead of the id) with reason `revoked` by default. Returns the
   * ended session, or `undefined` if no active session of the principal has that handle.
   * When the store does not answer (`ERR_STORE`), the end is queued as for {@link end}
   * (kind `handle`) and the error thrown.
   *
   * @param handle - the session's handle.
   * @param principal - its principal (or key).
   * @param reason - why. Default `revoked`.
   */
  async endByHandle(handle: string, principal: unknown, reason: EndReason = 'revoked'): Promise<SessionInfo | undefined> {
    this.#open();
    const principalKey = this.key(principal);
    checkReason(reason);
    // Not a handle this library makes: no session has it (and nothing to list or queue).
    if (!isSessionHandle(handle)) return undefined;
    let target: SessionInfo | undefined;
    try {
      target = (await this.list(principalKey)).find((s) => sessionHandle(s.sessionId) === handle);
    } catch (error) {
      throw this.#queueEnd(toStoreError('list', error), { kind: 'handle', principalKey, handle, reason, queuedAt: this.now() });
    }
    return target && this.end(target.sessionId, principalKey, reason);
  }

  /**
   * Ends every active session of a principal ("log out everywhere"), or all but one
   * ("log out other devices"). Returns the sessions ended.
   *
   * @param principal - the principal or its key.
   * @param options - see {@link EndAllOptions}.
   */
  async endAll(principal: unknown, options: EndAllOptions = {}): Promise<SessionInfo[]> {
    this.#open();
    rejectUnknownOptions(options, END_ALL_NAMES, 'endAll()');
    const principalKey = this.key(principal);
    const reason = options.reason ?? 'logout';
    checkReason(reason);
    const except = options.except === undefined ? undefined : assertSessionId(options.except, this.#options.maxSessionIdLength);
    let outcome;
    try {
      await this.#touches.flushPrincipal(principalKey);
      outcome = await this.store.endAll({
        principalKey,
        reason,
        now: this.now(),
        timeouts: this.#options.timeouts,
        ...(except === undefined ? {} : { except }),
      });
    } catch (error) {
      throw this.#queueEnd(toStoreError('endAll', error), { kind: 'all', principalKey, except, reason, queuedAt: this.now() });
    }
    this.#expired(outcome.expired);
    for (const s of outcome.ended) this.#endedLocally(s);
    return [...outcome.ended];
  }

  /**
   * Ends sessions past their idle or absolute timeout (at most `sweepBatch` principals'
   * worth per call). Expired sessions never hold a slot even without sweeps: logins and
   * checks expire them on the way. Returns how many sessions were ended.
   */
  async sweep(): Promise<number> {
    this.#open();
    let outcome;
    try {
      // R7: idle expiry is judged with every touch this process has seen.
      await this.#touches.flushAll();
      outcome = await this.store.sweep({ now: this.now(), timeouts: this.#options.timeouts, limit: this.#options.sweepBatch });
    } catch (error) {
      throw toStoreError('sweep', error);
    }
    this.#swept += outcome.expired.length;
    this.#expired(outcome.expired);
    return outcome.expired.length;
  }

  /** This process's counters. */
  stats(): RegistryStats {
    let ended = 0;
    for (const r of END_REASONS) ended += this.#ended[r];
    return {
      active: Math.max(0, this.#admitted - ended),
      admitted: this.#admitted,
      rejected: this.#rejected,
      ended: { ...this.#ended },
      endedRemotely: this.#endedRemotely,
      swept: this.#swept,
    };
  }

  /** Stops the sweep timer, unsubscribes from the store and closes it. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const off of this.#unsubscribe.splice(0)) off();
    await this.#touches.close();
    await this.#pendingEnds.close();
    await this.store.close();
  }

  /** `await using registry = new SessionRegistry()` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #open(): void {
    if (this.#closed) throw new ClosedError('The session registry');
  }

  #expired(sessions: readonly SessionInfo[]): void {
    for (const s of sessions) this.#endedLocally(s, 'expired');
  }

  #endedLocally(session: SessionInfo, also?: 'evicted' | 'expired'): void {
    this.#touches.forget(session.principalKey, session.sessionId);
    const reason = session.endReason ?? 'logout';
    this.#ended[reason]++;
    if (also) this.emit(also, session);
    this.emit('ended', session, 'local');
  }

  #remoteEnded(sessions: readonly SessionInfo[]): void {
    for (const s of sessions) {
      this.#touches.forget(s.principalKey, s.sessionId);
      this.#endedRemotely++;
      this.emit('ended', s, 'remote');
    }
  }

  /** Queues an end the store did not answer (`ERR_STORE`); returns the error to throw. */
  #queueEnd(error: SessionPolicyError, end: PendingEnd): SessionPolicyError {
    if (PendingEnds.retryable(error)) {
      this.#pendingEnds.add(end);
      this.emit('endQueued', end);
    }
    return error;
  }

  /**
   * Ends `end`, `endByHandle` or `endAll` could not write during an outage, oldest first, waiting to be
   * retried (every second, in order, until the store answers).
   */
  pendingEnds(): readonly PendingEnd[] {
    return this.#pendingEnds.list();
  }

  #report(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

const UNKNOWN: CheckResult = Object.freeze({ status: 'unknown' });

/** A {@link CheckResult} of {@link SessionRegistry.peek} but `active`. */
export type PeekMiss = Exclude<CheckResult, { readonly status: 'active' }>;

/** `peek`'s answer for all but an active session. */
function miss(outcome: Exclude<CheckOutcome, { readonly status: 'active' }> | SessionPolicyError | undefined): PeekMiss | undefined {
  if (outcome === undefined) return undefined;
  if (outcome instanceof Error) return { status: 'invalid', error: outcome };
  if (outcome.status === 'unknown') return UNKNOWN as PeekMiss;
  return { status: 'ended', session: outcome.session, reason: outcome.session.endReason ?? 'logout' };
}

/**
 * The answer for a session a waiting end covers: `ended` with the end's reason, on the
 * store's record when it was read, else on what the end knows (the times are when it was
 * asked).
 */
function queuedEnded(end: PendingEnd, principalKey: string, sessionId: string, session?: SessionInfo): CheckResult {
  const { reason, queuedAt } = end;
  const ended = session
    ? { ...session, state: 'ended' as const, endedAt: queuedAt, endReason: reason }
    : { sessionId, principalKey, createdAt: queuedAt, lastSeenAt: queuedAt, state: 'ended' as const, endedAt: queuedAt, endReason: reason };
  return { status: 'ended', session: ended, reason };
}

function checkReason(reason: EndReason): void {
  if (!END_REASONS.includes(reason)) throw new InvalidOptionError('reason', `must be one of ${END_REASONS.join(', ')}`);
}

const MAX_FIELD = 1024;
/** R17: a user agent is display data, cut to this many characters. */
const MAX_USER_AGENT = 512;

/**
 * A login's optional string field: absent, or a string of at most 1024 characters
 * (refused otherwise); with `truncate`, a longer string is cut to that many (R17).
 */
function optionalString(name: string, value: unknown, truncate?: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InvalidOptionError(name, 'must be a string');
  if (truncate !== undefined) return value.length > truncate ? value.slice(0, truncate) : value;
  if (value.length > MAX_FIELD) throw new InvalidOptionError(name, `must be a string of at most ${MAX_FIELD} characters`);
  return value;
}

/** R16: a plain JSON object of at most `maxBytes` bytes serialized. */
function attributes(value: unknown, maxBytes: number): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError('attributes', 'must be a plain object');
  }
  // A JSON round trip: stores serialize records, so only JSON-safe data survives; doing
  // it here makes the memory store behave the same and drops `__proto__` tricks.
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new InvalidOptionError('attributes', `must be JSON-serializable (${(error as Error).message})`);
  }
  // UTF-8 takes 1 to 3 bytes per UTF-16 unit: count bytes only when it can matter.
  if (json.length > maxBytes || (json.length * 3 > maxBytes && Buffer.byteLength(json) > maxBytes)) {
    throw new InvalidOptionError('attributes', `must serialize to at most ${maxBytes} bytes of JSON (maxAttributesBytes)`);
  }
  return JSON.parse(json) as Record<string, unknown>;
}

const NEW_SESSION_NAMES = Object.keys({
  principal: true,
  sessionId: true,
  deviceId: true,
  userAgent: true,
  ip: true,
  attributes: true,
} satisfies Record<keyof NewSession, true>);
const LIST_NAMES = Object.keys({ includeEnded: true } satisfies Record<keyof ListOptions, true>);
const END_ALL_NAMES = Object.keys({ except: true, reason: true } satisfies Record<keyof EndAllOptions, true>);
