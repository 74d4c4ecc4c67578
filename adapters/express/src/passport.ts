// Passport (0.7) on top of the Express middleware: the policy applies while the app goes
// on calling `req.login()` / `req.logout()` (and `passport.authenticate()`, which calls
// `req.logIn()`). Passport hands both to its session manager; this file puts one in its
// place that admits through `req.sessionPolicy` (which regenerates the session once) and
// ends the session in the registry before passport's own single regeneration at logout.
import type { Request } from 'express';
import { InvalidOptionError, SessionPolicyError, rejectUnknownOptions, type SessionView } from '@session-policy/core';
import {
  SESSION_MARKER,
  readMarker,
  type LoginOptions,
  type LoginResult,
} from '@session-policy/core/http';

/**
 * Options of {@link passportPolicy}. Validated when it is called.
 *
 * @public
 */
export interface PassportPolicyOptions {
  /**
   * The principal a passport user is admitted as. Default: the user itself (the
   * registry's principal key reads its `id` field; strings and numbers are keys as they are).
   */
  readonly principal?: (user: unknown, req: Request) => unknown;
  /**
   * The login's options (device id, "sign out another device" handle, attributes), read
   * from the request at each login: `(req) => ({ deviceId: req.body.deviceId })`.
   * Default: none.
   */
  readonly loginOptions?: (req: Request, user: unknown) => LoginOptions | undefined;
}

/**
 * A login refused by the policy, passed to the callback of `req.login()` (and so to the
 * error handler when `passport.authenticate()` logs in): the principal is at its limit
 * (`ERR_SESSION_LIMIT`, reject mode or nothing evictable) or the session id was already
 * ended (`ERR_SESSION_ENDED`). It carries what a "sign out another device?" page needs,
 * and `status` 409 for Express's error handling. The request is left signed out.
 *
 * @public
 */
export class LoginRefusedError extends SessionPolicyError<'ERR_SESSION_LIMIT' | 'ERR_SESSION_ENDED'> {
  /** The HTTP status an error handler should answer with. */
  readonly status = 409;
  /** The principal's limit. */
  readonly limit: number;
  /** The active sessions holding the slots (no raw ids: revoke by `handle`). */
  readonly holders: readonly SessionView[];

  /** @param refusal - the refused login's result. */
  constructor(refusal: { code: 'ERR_SESSION_LIMIT' | 'ERR_SESSION_ENDED'; limit: number; holders: readonly SessionView[] }) {
    super(refusal.code, refusal.code === 'ERR_SESSION_LIMIT' ? `Session limit reached (${refusal.limit})` : 'The session id was already ended');
    this.limit = refusal.limit;
    this.holders = refusal.holders;
  }
}

type Done = (error?: unknown) => void;
type Session = Record<string, unknown> & { regenerate(cb: Done): void; save(cb: Done): void };
type PassportRequest = Request & { session?: Session; sessionID?: string };
interface Authenticator {
  _sm?: unknown;
  _key?: unknown;
  serializeUser(user: unknown, req: unknown, done: (error: unknown, serialized?: unknown) => void): void;
}
interface KeepOptions {
  keepSessionInfo?: boolean;
}

const node = (call: (done: Done) => void) => new Promise<void>((resolve, reject) => call((error) => (error ? reject(error) : resolve())));

function policyOf(req: PassportRequest) {
  if (!req.sessionPolicy) throw new InvalidOptionError('sessionPolicy', 'app.use(sessionPolicy(...)) must run before passport logs in or out');
  if (!req.session) throw new InvalidOptionError('session', 'express-session must run before the session-policy middleware');
  return { policy: req.sessionPolicy, session: req.session };
}

/** Copies the previous session's data over the new one (passport's `keepSessionInfo`), but never its marker. */
function keep(into: Session, previous: Record<string, unknown> | undefined): void {
  for (const [name, value] of Object.entries(previous ?? {})) if (name !== SESSION_MARKER) into[name] = value;
}

/** Passport's session manager, with the policy in it. */
class PolicySessionManager {
  constructor(
    private readonly passport: Authenticator,
    private readonly key: string,
    private readonly options: PassportPolicyOptions,
  ) {}

  logIn(req: PassportRequest, user: unknown, options: KeepOptions | Done, done?: Done): void {
    const callback = typeof options === 'function' ? options : done!;
    this.#logIn(req, user, typeof options === 'function' ? {} : (options ?? {})).then(() => callback(), callback);
  }

  logOut(req: PassportRequest, options: KeepOptions | Done, done?: Done): void {
    const callback = typeof options === 'function' ? options : done!;
    this.#logOut(req, typeof options === 'function' ? {} : (options ?? {})).then(() => callback(), callback);
  }

  async #logIn(req: PassportRequest, user: unknown, options: KeepOptions): Promise<void> {
    const { policy, session } = policyOf(req);
    const serialized = await new Promise((resolve, reject) =>
      this.passport.serializeUser(user, req, (error, value) => (error ? reject(error) : resolve(value))),
    );
    const previous = options.keepSessionInfo ? { ...session } : undefined;
    // The one regeneration: the policy's login rotates the session id, ends the session the
    // request carried, admits the new one and marks it.
    const result = await policy.login(this.options.principal ? this.options.principal(user, req) : user, this.options.loginOptions?.(req, user) ?? {});
    if (!result.ok) throw new LoginRefusedError(result);
    ADMITTED.set(req, result);
    const fresh = req.session!;
    keep(fresh, previous);
    fresh[this.key] = { ...(fresh[this.key] as object | undefined), user: serialized };
    await node((cb) => fresh.save(cb));
  }

  async #logOut(req: PassportRequest, options: KeepOptions): Promise<void> {
    const { policy, session } = policyOf(req);
    const key = readMarker(session)?.key;
    let failure: unknown;
    try {
      if (key !== undefined && req.sessionID !== undefined) await policy.registry.end(req.sessionID, key, 'logout');
    } catch (error) {
      // Malformed session data ends nothing; a store failure is reported after the regeneration.
      const invalid = error instanceof SessionPolicyError && (error.code === 'ERR_INVALID_SESSION_ID' || error.code === 'ERR_INVALID_PRINCIPAL');
      if (!invalid) failure = error;
    }
    policy.session = undefined;
    const previous = options.keepSessionInfo ? { ...session, [this.key]: { ...(session[this.key] as object | undefined), user: undefined } } : undefined;
    // Passport's own logout: one regeneration (the old id is destroyed in the session store).
    await node((cb) => session.regenerate(cb));
    keep(req.session!, previous);
    if (failure !== undefined) throw failure;
  }
}

/** The logins `req.login()` admitted, by request. */
const ADMITTED = new WeakMap<object, Extract<LoginResult, { ok: true }>>();

/**
 * The login that `req.login()` admitted on this request — the new session and the
 * sessions it signed out (`ended`), to tell the device which ones — or `undefined` when
 * none was admitted on it.
 *
 * @param req - the request `req.login()` was called on.
 * @public
 */
export function admittedLogin(req: object): Extract<LoginResult, { ok: true }> | undefined {
  return ADMITTED.get(req);
}

const PASSPORT_OPTION_NAMES = Object.keys({ principal: true, loginOptions: true } satisfies Record<keyof PassportPolicyOptions, true>);

/**
 * Makes passport (0.7) log in and out through the policy: `req.login(user, cb)` — and so
 * `passport.authenticate()` — admits the user under the limit (one session regeneration:
 * the policy's), a refused login reaches `cb` as a {@link LoginRefusedError}; and
 * `req.logout(cb)` ends the session in the registry before passport's single regeneration.
 * `keepSessionInfo` is honoured. Call it once, at start-up; put the middlewares in this
 * order: express-session, {@link sessionPolicy}, `passport.session()`.
 *
 * @example
 * ```ts
 * passportPolicy(passport, { loginOptions: (req) => ({ deviceId: req.body?.deviceId }) });
 * app.use(session({ secret, resave: false, saveUninitialized: false }));
 * app.use(sessionPolicy({ registry }));
 * app.use(passport.session());
 * app.post('/login', passport.authenticate('local', { successRedirect: '/', failureRedirect: '/login' }));
 * ```
 * @param passport - the passport instance (`import passport from 'passport'`, or a `new Passport()`).
 * @param options - see {@link PassportPolicyOptions}.
 * @public
 */
export function passportPolicy(passport: object, options: PassportPolicyOptions = {}): void {
  const authenticator = passport as Authenticator;
  const manager = authenticator?._sm as { logIn?: unknown; logOut?: unknown } | undefined;
  if (typeof authenticator?.serializeUser !== 'function' || typeof manager?.logIn !== 'function' || typeof manager.logOut !== 'function') {
    throw new InvalidOptionError('passport', 'must be a passport 0.7 Authenticator (the default export of "passport", or new Passport())');
  }
  rejectUnknownOptions(options, PASSPORT_OPTION_NAMES, 'passportPolicy()');
  for (const name of ['principal', 'loginOptions'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw new InvalidOptionError(name, 'must be a function');
  }
  const key = typeof authenticator._key === 'string' ? authenticator._key : 'passport';
  authenticator._sm = new PolicySessionManager(authenticator, key, { ...options });
}
