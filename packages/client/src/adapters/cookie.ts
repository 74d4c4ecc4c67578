import fetchCookie from 'fetch-cookie';
import { CookieJar } from 'tough-cookie';
import { UpstreamLoginError, UpstreamResponseError } from '../errors.js';
import type { SessionStrategy } from '../strategy.js';
import { discardBody, mergeHeaders, resolveUrl, sessionFetch, type FetchSession, type FetchStrategyOptions } from './fetch-session.js';

/**
 * Options of {@link cookieStrategy}.
 *
 * @typeParam P - the principal type.
 * @public
 */
export interface CookieStrategyOptions<P> extends FetchStrategyOptions<P> {
  /** Where to POST the credentials (JSON). Relative to `baseUrl` if relative. */
  readonly loginUrl: string | URL;
  /** The JSON body of the login request for this principal (`{ username, password }`…). */
  readonly credentials: (principal: P) => unknown;
  /** Where to POST to log out. Without it, logging out just forgets the cookies. */
  readonly logoutUrl?: string | URL;
  /**
   * Whether a login response means the credentials were refused (never retried).
   * Default: status 401 or 403. Other non-2xx answers are retried.
   */
  readonly isRefused?: (response: Response) => boolean;
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

/**
 * A strategy for upstreams that keep the session in a cookie: it logs in by POSTing
 * JSON credentials with a fresh cookie jar, sends the jar's cookies with every request
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
  const baseFetch = options.fetch ?? globalThis.fetch;
  const isRefused = options.isRefused ?? ((response: Response) => response.status === 401 || response.status === 403);
  const loginUrl = resolveUrl(options.loginUrl, options.baseUrl);
  const logoutUrl = options.logoutUrl === undefined ? undefined : resolveUrl(options.logoutUrl, options.baseUrl);

  const session = (jar: CookieJar): CookieSession => {
    const withCookies = fetchCookie(baseFetch, jar);
    return { jar, fetch: sessionFetch((url, init) => withCookies(url.href, init), options) };
  };

  return {
    ...(options.key ? { key: options.key } : {}),
    async login(principal, { signal }) {
      const jar = new CookieJar();
      const response = await fetchCookie(baseFetch, jar)(loginUrl.href, {
        method: 'POST',
        headers: mergeHeaders(options.headers, { 'content-type': 'application/json', accept: 'application/json' }),
        body: JSON.stringify(await options.credentials(principal)),
        signal,
      });
      await discardBody(response);
      if (isRefused(response)) throw new UpstreamLoginError(`The upstream refused the credentials (HTTP ${response.status})`);
      if (!response.ok) throw new UpstreamResponseError(response.status, `Login at ${loginUrl.pathname} failed`);
      return session(jar);
    },
    async logout(current) {
      if (!logoutUrl) return;
      const response = await fetchCookie(baseFetch, current.jar)(logoutUrl.href, {
        method: 'POST',
        headers: mergeHeaders(options.headers, { accept: 'application/json' }),
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
