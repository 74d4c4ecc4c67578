import { InvalidOptionError, SessionExpiredError } from '../errors.js';

/**
 * A session that talks HTTP: its `fetch` sends the session's credentials and turns the
 * upstream's "session ended" answer into a {@link SessionExpiredError}, which is what
 * makes the keeper log in again and retry.
 *
 * @public
 */
export interface FetchSession {
  /**
   * `fetch` as this session. Relative URLs resolve against the strategy's `baseUrl`.
   *
   * @throws {@link SessionExpiredError} when the response says the session expired (its
   *   body is discarded).
   */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
}

/**
 * Options shared by the fetch adapters ({@link cookieStrategy}, {@link bearerStrategy}).
 *
 * @typeParam P - the principal type.
 * @public
 */
export interface FetchStrategyOptions<P> {
  /** What relative URLs (the login URL, work's `session.fetch('/path')`) resolve against. */
  readonly baseUrl?: string | URL;
  /**
   * Headers sent with every request of the session (login and logout included): what
   * `new Headers(…)` takes (spelled without the DOM lib's `HeadersInit`, so that Node apps
   * without the DOM lib type-check).
   */
  readonly headers?: ConstructorParameters<typeof Headers>[0];
  /**
   * Whether a response says the session expired. Default: status 401. Called for every
   * response of `session.fetch`; keep it cheap.
   */
  readonly isExpired?: (response: Response) => boolean;
  /** The `fetch` to use. Default: the global one (undici). */
  readonly fetch?: typeof globalThis.fetch;
  /** The principal's key; see {@link SessionStrategy.key}. */
  readonly key?: (principal: P) => string;
}

/** Default expiry test of the fetch adapters: HTTP 401. */
export function isUnauthorized(response: Response): boolean {
  return response.status === 401;
}

/** Validates the shared fetch options once, at construction, naming the wrong one. */
export function checkFetchOptions<P>(options: FetchStrategyOptions<P>): void {
  for (const name of ['isExpired', 'fetch', 'key'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw new InvalidOptionError(name, 'must be a function');
  }
  if (options.baseUrl !== undefined && !URL.canParse(String(options.baseUrl))) throw new InvalidOptionError('baseUrl', 'must be an absolute URL');
  try {
    new Headers(options.headers);
  } catch (error) {
    throw new InvalidOptionError('headers', `must be what new Headers() takes (${(error as Error).message})`);
  }
}

/**
 * Resolves `input` against `baseUrl` (absolute inputs are kept).
 *
 * @param option - the option `input` came from, named by the error when it is no URL.
 */
export function resolveUrl(input: string | URL, baseUrl: string | URL | undefined, option = 'url'): URL {
  if ((typeof input !== 'string' && !(input instanceof URL)) || !URL.canParse(input, baseUrl)) {
    throw new InvalidOptionError(option, `must be an absolute URL, or a path with a baseUrl (got ${typeof input === 'string' ? JSON.stringify(input) : typeof input})`);
  }
  return new URL(input, baseUrl);
}

/** `headers` with `extra` applied on top, as a fresh `Headers`. */
export function mergeHeaders(headers: ConstructorParameters<typeof Headers>[0], extra: ConstructorParameters<typeof Headers>[0]): Headers {
  const merged = new Headers(headers);
  if (extra) new Headers(extra).forEach((value, name) => merged.set(name, value));
  return merged;
}

/** Reads and drops a response body so the connection can be reused. */
export async function discardBody(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // The body is of no use; a failure to cancel it changes nothing.
  }
}

/**
 * Builds a session's `fetch`: resolve, add headers, send through `send`, and turn an
 * expiry answer into {@link SessionExpiredError}.
 */
export function sessionFetch(
  send: (url: URL, init: RequestInit) => Promise<Response>,
  options: Pick<FetchStrategyOptions<unknown>, 'baseUrl' | 'headers' | 'isExpired'>,
  authorize?: (headers: Headers) => void,
): FetchSession['fetch'] {
  const isExpired = options.isExpired ?? isUnauthorized;
  return async (input, init = {}) => {
    const url = new URL(input, options.baseUrl);
    const headers = mergeHeaders(options.headers, init.headers);
    authorize?.(headers);
    const response = await send(url, { ...init, headers });
    if (isExpired(response)) {
      await discardBody(response);
      throw new SessionExpiredError(`${init.method ?? 'GET'} ${url.pathname} answered HTTP ${response.status}`, response.status);
    }
    return response;
  };
}
