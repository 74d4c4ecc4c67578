import fetchCookie from 'fetch-cookie';
import { CookieJar } from 'tough-cookie';
import { InvalidOptionError, UpstreamLoginError, UpstreamResponseError } from '../errors.js';
import type { SessionStrategy } from '../strategy.js';
import { FETCH_NAMES } from '../option-names.js';
import { rejectUnknownOptions } from '../unknown-options.js';
import { checkFetchOptions, discardBody, mergeHeaders, resolveUrl, sessionFetch, type FetchSession, type FetchStrategyOptions } from './fetch-session.js';

/**
 * Options of {@link cookieStrategy}.
 *
 * @typeParam P - the principal type.
 * @public
 */
export interface CookieStrategyOptions<P> extends FetchStrategyOptions<P> {
  /** Where to POST the credentials. Relative to `baseUrl` if relative. */
  readonly loginUrl: string | URL;
  /**
   * The body of the login request for this principal (`{ username, password }`…), sent
   * as `loginFormat` says. May return a promise (read from a vault).
   */
  readonly credentials: (principal: P) => unknown;
  /**
   * How the credentials are sent: `json` (`application/json`, the default) or `form`
   * (`application/x-www-form-urlencoded`, as an HTML login form posts them; the
   * credentials must then be a flat record of strings, numbers or booleans).
   */
  readonly loginFormat?: 'json' | 'form';
  /** Where to POST to log out. Without it, logging out just forgets the cookies. */
  readonly logoutUrl?: string | URL;
  /**
   * Whether a login response means the credentials were refused (never retried). The
   * body is unread: read it (`await response.json()`…) when the upstream answers 200
   * with an error in the body. May be async. Default: status 401 or 403. Other non-2xx
   * answers are retried.
   */
  readonly isRefused?: (response: Response) => boolean | Promise<boolean>;
}

/**
 * A session kept in cookies: a cookie jar and a `fetch` that uses it.
 *
 * @public
 */
export interface CookieSession extends FetchSession {
  /** The session's cookie jar (tough-cookie). */
  readonly jar: CookieJar;
}

/** What a detached cookie session holds: the jar, serialized by tough-cookie. */
interface SerializedCookieSession {
  readonly cookies: unknown;
}

const COOKIE_NAMES = [
  ...Object.keys({ loginUrl: true, credentials: true, loginFormat: true, logoutUrl: true, isRefused: true } satisfies Record<Exclude<keyof CookieStrategyOptions<unknown>, keyof FetchStrategyOptions<unknown>>, true>),
  ...FETCH_NAMES,
];

/**
 * A strategy for upstreams that keep the session in a cookie: it logs in by POSTing
 * the credentials (JSON or form-encoded) with a fresh cookie jar, sends the jar's cookies with every request
 * of the session (following redirects with cookies), sees an expired session in a 401
 * (configurable) and logs out by POSTing to `logoutUrl`. Detached sessions carry the
 * serialized jar.
 *
 * @example
 * ```ts
 * const strategy = cookieStrategy({
 *   baseUrl: 'https://sso.example.edu',
 *   loginUrl: '/login',
 *   logoutUrl: '/logout',
 *   credentials: (user: string) => ({ username: user, password: vault.get(user) }),
 * });
 * ```
 * @param options - see {@link CookieStrategyOptions}.
 * @typeParam P - the principal type.
 * @public
 */
export function cookieStrategy<P>(options: CookieStrategyOptions<P>): SessionStrategy<P, CookieSession> {
  rejectUnknownOptions(options, COOKIE_NAMES, 'cookieStrategy()');
  if (typeof options.credentials !== 'function') throw new InvalidOptionError('credentials', 'must be a function (principal) => credentials');
  if (options.isRefused !== undefined && typeof options.isRefused !== 'function') throw new InvalidOptionError('isRefused', 'must be a function (response) => boolean');
  checkFetchOptions(options);
  const baseFetch = options.fetch ?? globalThis.fetch;
  const isRefused = options.isRefused ?? ((response: Response) => response.status === 401 || response.status === 403);
  const format = options.loginFormat ?? 'json';
  if (format !== 'json' && format !== 'form') throw new InvalidOptionError('loginFormat', 'must be "json" or "form"');
  const loginUrl = resolveUrl(options.loginUrl, options.baseUrl, 'loginUrl');
  const logoutUrl = options.logoutUrl === undefined ? undefined : resolveUrl(options.logoutUrl, options.baseUrl, 'logoutUrl');

  const session = (jar: CookieJar): CookieSession => {
    const withCookies = fetchCookie(baseFetch, jar);
    return { jar, fetch: sessionFetch((url, init) => withCookies(url.href, init), options) };
  };

  return {
    ...(options.key ? { key: options.key } : {}),
    async login(principal, { signal }) {
      const jar = new CookieJar();
      const credentials = await options.credentials(principal);
      const response = await fetchCookie(baseFetch, jar)(loginUrl.href, {
        method: 'POST',
        headers: mergeHeaders(options.headers, {
          'content-type': format === 'form' ? 'application/x-www-form-urlencoded' : 'application/json',
          accept: 'application/json',
        }),
        body: format === 'form' ? formBody(credentials) : JSON.stringify(credentials),
        signal,
      });
      let refused: boolean;
      try {
        refused = await isRefused(response);
      } finally {
        await discardBody(response);
      }
      if (refused) throw new UpstreamLoginError(`The upstream refused the credentials (HTTP ${response.status})`);
      if (!response.ok) throw new UpstreamResponseError(response.status, `Login at ${loginUrl.pathname} failed`);
      return session(jar);
    },
    async logout(current, _principal, { signal }) {
      if (!logoutUrl) return;
      const response = await fetchCookie(baseFetch, current.jar)(logoutUrl.href, {
        method: 'POST',
        headers: mergeHeaders(options.headers, { accept: 'application/json' }),
        signal,
      });
      await discardBody(response);
      // An upstream that already ended the session may answer 401: it is logged out all the same.
      if (!response.ok && response.status !== 401) throw new UpstreamResponseError(response.status, `Logout at ${logoutUrl.pathname} failed`);
    },
    serialize(current): SerializedCookieSession {
      return { cookies: current.jar.serializeSync() };
    },
    deserialize(data) {
      const cookies = (data as Partial<SerializedCookieSession> | null)?.cookies;
      if (typeof cookies !== 'object' || cookies === null) throw new TypeError('no serialized cookie jar');
      return session(CookieJar.deserializeSync(cookies as Parameters<typeof CookieJar.deserializeSync>[0]));
    },
  };
}

/** Form-encodes a flat record of credentials. */
function formBody(credentials: unknown): URLSearchParams {
  if (typeof credentials !== 'object' || credentials === null) throw new TypeError('form credentials must be a record of strings');
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(credentials)) {
    if (value === undefined) continue;
    if (!['string', 'number', 'boolean'].includes(typeof value)) throw new TypeError(`form credential "${name}" must be a string, number or boolean`);
    form.append(name, String(value));
  }
  return form;
}
