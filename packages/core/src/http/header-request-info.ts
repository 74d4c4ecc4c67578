import type { RequestInfo } from './request-info.js';

/**
 * A {@link RequestInfo} over a request's headers, read only when the policy needs them
 * (the helpers are made on first use). The client's address and the raw request and
 * response are asked for only when read: the address is not free on every framework.
 *
 * @public
 */
export class HeaderRequestInfo implements RequestInfo {
  readonly #headers: Readonly<Record<string, unknown>>;
  readonly #ip: () => string | undefined;
  readonly #raw: () => RequestInfo['raw'];

  /**
   * @param headers - the request's headers (a header that is not a string reads as absent).
   * @param ip - gives the client address.
   * @param raw - gives the raw Node request and response.
   */
  constructor(headers: Readonly<Record<string, unknown>>, ip: () => string | undefined, raw: () => RequestInfo['raw']) {
    this.#headers = headers;
    this.#ip = ip;
    this.#raw = raw;
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
    return this.#ip();
  }

  /** The raw Node request and response. */
  get raw(): RequestInfo['raw'] {
    return this.#raw();
  }

  #header(name: string): string | undefined {
    const value = this.#headers[name];
    return typeof value === 'string' ? value : undefined;
  }
}
