import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * What the policy reads from a request besides its session: content negotiation for the
 * answers, and the client's details recorded at login. Adapters fill it from their
 * framework's request.
 *
 * @public
 */
export interface RequestInfo {
  /** The `Accept` header. */
  readonly accept?: string | undefined;
  /** The `Content-Type` header. */
  readonly contentType?: string | undefined;
  /** The `User-Agent` header, recorded at login. */
  readonly userAgent?: string | undefined;
  /** The client address, recorded at login. */
  readonly ip?: string | undefined;
  /**
   * The raw Node request and response under the framework, for helpers that write to the
   * connection themselves (live event streams).
   */
  readonly raw?: { readonly req: IncomingMessage; readonly res: ServerResponse } | undefined;
}
