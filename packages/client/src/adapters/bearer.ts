import { InvalidOptionError } from '../errors.js';
import { FETCH_NAMES } from '../option-names.js';
import type { LoginContext, SessionStrategy } from '../strategy.js';
import { rejectUnknownOptions } from '../unknown-options.js';
import { checkFetchOptions, sessionFetch, type FetchSession, type FetchStrategyOptions } from './fetch-session.js';

/**
 * Options of {@link bearerStrategy}.
 *
 * @typeParam P - the principal type.
 * @public
 */
export interface BearerStrategyOptions<P> extends FetchStrategyOptions<P> {
  /**
   * Obtains a token for the principal (token endpoints differ too much to guess). Throw
   * {@link UpstreamLoginError} when the credentials are refused; `context.signal` aborts
   * when the keeper closes.
   */
  readonly login: (principal: P, context: LoginContext) => Promise<string>;
  /** Revokes the token, if the upstream has a way to. */
  readonly logout?: (token: string, principal: P) => Promise<void>;
  /** The authorization scheme. Default `Bearer`. */
  readonly scheme?: string;
}

/**
 * A session held as a token, sent in the `Authorization` header.
 *
 * @public
 */
export interface BearerSession extends FetchSession {
  /** The token. */
  readonly token: string;
}

const BEARER_NAMES = [
  ...Object.keys({ login: true, logout: true, scheme: true } satisfies Record<Exclude<keyof BearerStrategyOptions<unknown>, keyof FetchStrategyOptions<unknown>>, true>),
  ...FETCH_NAMES,
];

/**
 * A strategy for upstreams that hand out tokens: your `login` gets the token, the
 * session's `fetch` sends `Authorization: Bearer <token>` and sees an expired token in a
 * 401 (configurable). Detached sessions carry the token.
 *
 * @example
 * ```ts
 * const strategy = bearerStrategy({
 *   baseUrl: 'https://api.example.com',
 *   login: async (client: string, { signal }) => {
 *     const response = await fetch('https://api.example.com/oauth/token', { method: 'POST', body: form(client), signal });
 *     if (response.status === 401) throw new UpstreamLoginError();
 *     return (await response.json()).access_token;
 *   },
 * });
 * ```
 * @param options - see {@link BearerStrategyOptions}.
 * @typeParam P - the principal type.
 * @public
 */
export function bearerStrategy<P>(options: BearerStrategyOptions<P>): SessionStrategy<P, BearerSession> {
  rejectUnknownOptions(options, BEARER_NAMES, 'bearerStrategy()');
  if (typeof options.login !== 'function') throw new InvalidOptionError('login', 'must be a function (principal, context) => Promise<token>');
  if (options.logout !== undefined && typeof options.logout !== 'function') throw new InvalidOptionError('logout', 'must be a function (token, principal) => Promise<void>');
  if (options.scheme !== undefined && (typeof options.scheme !== 'string' || !/^[A-Za-z][\w!#$%&'*+.^`|~-]*$/.test(options.scheme))) {
    throw new InvalidOptionError('scheme', 'must be an HTTP authentication scheme name (Bearer, Token…)');
  }
  checkFetchOptions(options);
  const send = options.fetch ?? globalThis.fetch;
  const scheme = options.scheme ?? 'Bearer';
  const session = (token: string): BearerSession => ({
    token,
    fetch: sessionFetch((url, init) => send(url, init), options, (headers) => headers.set('authorization', `${scheme} ${token}`)),
  });
  const logout = options.logout;
  return {
    ...(options.key ? { key: options.key } : {}),
    ...(logout ? { logout: (current: BearerSession, principal: P) => logout(current.token, principal) } : {}),
    async login(principal, context) {
      return session(await options.login(principal, context));
    },
    serialize: (current) => ({ token: current.token }),
    deserialize(data) {
      const token = (data as { token?: unknown } | null)?.token;
      if (typeof token !== 'string' || token.length === 0) throw new TypeError('no token');
      return session(token);
    },
  };
}
