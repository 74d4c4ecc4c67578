import { InvalidOptionError } from '../errors.js';
import { SessionRegistry } from '../registry.js';
import type { SessionInfo } from '../session.js';
import { acceptsEventStream, sessionEndedStreamAnswer } from '../live/event-stream.js';
import { reportError } from './check-verdict.js';
import { endedAnswer, storeUnavailableAnswer, type EndedReason, type HttpAnswer } from './answers.js';
import { prefersHtml } from './negotiation.js';
import type { RequestInfo } from './request-info.js';
import { RequestPolicy } from './request-policy.js';
import type { SessionBinding } from './session-binding.js';

/**
 * An ended session, as given to a custom {@link HttpPolicyOptions.onEnded} handler.
 *
 * @public
 */
export interface EndedSession {
  /** Why it ended. */
  readonly reason: EndedReason;
  /** The ended session, when the registry still remembers it. */
  readonly session?: SessionInfo | undefined;
  /** Whether the client wants HTML (see {@link prefersHtml}). */
  readonly html: boolean;
  /** The request. */
  readonly request: RequestInfo;
}

/**
 * Options shared by every adapter (the adapters' own options extend them). Validated
 * once, at construction.
 *
 * @public
 */
export interface HttpPolicyOptions {
  /** The session registry that holds the policy. */
  readonly registry: SessionRegistry;
  /**
   * Where HTML requests of an ended session are redirected (303), with `ended=<reason>`
   * added to the query. A path (`/login`) or an absolute http(s) URL. Default `/`.
   */
  readonly redirectTo?: string;
  /**
   * A custom answer to requests of ended sessions (the session is already destroyed in
   * the session library). Return `undefined` to use the default content-negotiated one.
   */
  readonly onEnded?: (ended: EndedSession) => HttpAnswer | undefined;
}

/**
 * The request-level policy shared by all adapters: it validates the options once and
 * makes a {@link RequestPolicy} (the helpers on `req`, `ctx` or `request`) for each request.
 *
 * @public
 */
export class HttpPolicy {
  /** The registry. */
  readonly registry: SessionRegistry;
  /** Where HTML requests of ended sessions go. */
  readonly redirectTo: string;
  readonly #onEnded: HttpPolicyOptions['onEnded'];

  /** @param options - see {@link HttpPolicyOptions}. */
  constructor(options: HttpPolicyOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', 'must be an object');
    if (!(options.registry instanceof SessionRegistry)) {
      throw new InvalidOptionError('registry', 'must be a SessionRegistry (new SessionRegistry({ maxSessions: 2 }))');
    }
    const redirectTo = options.redirectTo ?? '/';
    if (typeof redirectTo !== 'string' || !/^(\/(?!\/)|https?:\/\/)[^\s]*$/.test(redirectTo)) {
      throw new InvalidOptionError('redirectTo', 'must be a path starting with one "/" or an absolute http(s) URL, without white space');
    }
    if (options.onEnded !== undefined && typeof options.onEnded !== 'function') {
      throw new InvalidOptionError('onEnded', 'must be a function returning an HttpAnswer or undefined');
    }
    this.registry = options.registry;
    this.redirectTo = redirectTo;
    this.#onEnded = options.onEnded;
  }

  /**
   * The policy helpers for one request.
   *
   * @param binding - the request's session, seen through its library.
   * @param info - what the policy reads from the request.
   */
  request(binding: SessionBinding, info: RequestInfo): RequestPolicy {
    return new RequestPolicy(this, binding, info);
  }

  /**
   * The answer to a request of an ended session: the custom handler's, or the default.
   *
   * @param reason - why the session ended.
   * @param session - the ended session, if known.
   * @param request - the request.
   */
  endedAnswer(reason: EndedReason, session: SessionInfo | undefined, request: RequestInfo): HttpAnswer {
    const html = prefersHtml(request.accept, request.contentType);
    const custom = this.#onEnded?.({ reason, session, html, request });
    if (custom) return custom;
    // An EventSource cannot read a 401 or follow a redirect: tell a stream why, in the stream.
    if (acceptsEventStream(request.accept)) return sessionEndedStreamAnswer(reason);
    return endedAnswer(reason, html, this.redirectTo);
  }

  /**
   * The answer when the store cannot check a session and the policy fails closed.
   *
   * @param request - the request.
   */
  unavailableAnswer(request: RequestInfo): HttpAnswer {
    return storeUnavailableAnswer(prefersHtml(request.accept, request.contentType));
  }

  /**
   * Reports an error that must not fail the request (the session library failing to
   * destroy an ended session) through the registry's `error` event, if anyone listens.
   *
   * @param error - what went wrong.
   */
  report(error: unknown): void {
    reportError(this.registry, error);
  }
}
