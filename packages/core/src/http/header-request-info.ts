import type { RequestInfo } from './request-info.js';

/**
 * How a framework's request gives what headers do not hold: the client's address and the
 * raw Node request and response. One object per adapter, made once (no closure per
 * request).
 *
 * @public
 */
export interface RequestAccess<R> {
  /** The client address. */
  ip(request: R): string | undefined;
  /** The raw Node request and response. */
  raw(request: R): RequestInfo['raw'];
}

/**
 * A {@link RequestInfo} over a request's headers, read only when the policy needs them
 * (the helpers are made on first use). The client's address and the raw request and
 * response are asked for only when read: the address is not free on every framework.
 *
 * @public
 */
export class HeaderRequestInfo<R = unknown> implements RequestInfo {
  readonly #request: R;
  readonly #headers: Readonly<Record<string, unknown>>;
  readonly #access: RequestAccess<R>;

  /**
   * @param request - the framework's request, handed to `access`.
   * @param headers - the request's headers (a header that is not a string reads as absent).
   * @param access - gives the client address and the raw Node request and response.
   */
  constructor(request: R, headers: Readonly<Record<string, unknown>>, access: RequestAccess<R>) {
    this.#request = request;
    this.#headers = headers;
    this.#access = access;
  }

  /** The `Accept` header. */
  get accept(): string | undefined {
    return this.#header('accept');
  }

  /** The `Content-Type` header. */
  get contentType(): string | undefined {
    return this.#header('content-type');
  }

  /** The `User-Agent` header. */
  get userAgent(): string | undefined {
    return this.#header('user-agent');
  }

  /** The client address. */
  get ip(): string | undefined {
    return this.#access.ip(this.#request);
  }

  /** The raw Node request and response. */
  get raw(): RequestInfo['raw'] {
    return this.#access.raw(this.#request);
  }

  #header(name: string): string | undefined {
    const value = this.#headers[name];
    return typeof value === 'string' ? value : undefined;
  }
}
