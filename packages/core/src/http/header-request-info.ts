import type { RequestInfo } from './request-info.js';

/**
 * A {@link RequestInfo} read from the request's headers only when the policy needs it
 * (the helpers are made on first use; the client's address is not free on every
 * framework). A subclass says where the headers, the address and the raw request and
 * response are.
 *
 * @public
 */
export abstract class HeaderRequestInfo implements RequestInfo {
  /** The request's headers (a header that is not a string reads as absent). */
  protected abstract headers(): Readonly<Record<string, unknown>>;

  /** The client address. */
  abstract get ip(): string | undefined;

  /** The raw Node request and response. */
  abstract get raw(): RequestInfo['raw'];

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

  #header(name: string): string | undefined {
    const value = this.headers()[name];
    return typeof value === 'string' ? value : undefined;
  }
}
