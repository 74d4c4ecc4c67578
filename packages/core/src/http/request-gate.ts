import type { SessionInfo } from '../session.js';
import type { HttpAnswer } from './answers.js';
import type { HttpPolicy } from './http-policy.js';
import type { MarkerSessionBinding } from './marker-session-binding.js';
import type { RequestInfo } from './request-info.js';
import type { RequestPolicy } from './request-policy.js';
import type { SessionBinding } from './session-binding.js';
import { markerId, markerKey } from './session-marker.js';

// Per-request state, in symbol-keyed slots of the framework's request object: no object
// of ours is made for a request until its handler reads the helpers.
const SESSION = Symbol('session-policy.session');
const HELPERS = Symbol('session-policy.helpers');
const GATE = Symbol('session-policy.gate');
const OWNER = Symbol('session-policy.owner');

interface Slots {
  /** The session the check found active; `null`: the gate saw the request, no session. */
  [SESSION]?: SessionInfo | null;
  /** The helpers, once read. */
  [HELPERS]?: RequestPolicy;
  /** The gate that saw the request, when it is not the one whose accessor the prototype holds. */
  [GATE]?: RequestGate<never>;
  /** On a prototype: the gate whose accessor it holds. */
  [OWNER]?: RequestGate<never>;
}

/**
 * What a {@link RequestGate} needs to make a request's helpers when they are first read:
 * the request's session seen through its library, and the request's details.
 *
 * @public
 */
export interface RequestParts {
  /** The request's session. */
  readonly binding: SessionBinding;
  /** What the policy reads from the request. */
  readonly info: RequestInfo;
}

/** Options of {@link RequestGate}. @public */
export interface RequestGateOptions<R extends object> {
  /** The name of the helpers' property on the request (`sessionPolicy`). */
  readonly property: string;
  /** Makes the binding and the request details, the first time a handler reads the helpers. */
  readonly parts: (request: R) => RequestParts;
  /**
   * Whether every request of the framework has the helpers (hapi, Fastify: a request
   * decoration), rather than only the requests that went through the middleware
   * (Express, Koa: reading them before the middleware gives `undefined`).
   */
  readonly everyRequest?: boolean;
}

/**
 * The per-request path shared by the adapters, made to cost what the check costs: an
 * active session answered from memory leaves one pointer on the request (the session
 * found) and makes no object and no promise; the {@link RequestPolicy} helpers are made
 * when a handler first reads them, through an accessor on the framework's request
 * prototype ({@link install}).
 *
 * @public
 */
export class RequestGate<R extends object> {
  /** The shared policy. */
  readonly policy: HttpPolicy;
  readonly #property: string;
  readonly #parts: (request: R) => RequestParts;
  readonly #everyRequest: boolean;

  /**
   * @param policy - the shared policy.
   * @param options - see {@link RequestGateOptions}.
   */
  constructor(policy: HttpPolicy, options: RequestGateOptions<R>) {
    this.policy = policy;
    this.#property = options.property;
    this.#parts = options.parts;
    this.#everyRequest = options.everyRequest === true;
  }

  /**
   * The per-request check, from what the adapter read out of the session: `undefined` to
   * let the request through (synchronously whenever the registry can answer from memory),
   * or the answer to send (see {@link RequestPolicy.check}). Never throws or rejects.
   *
   * @param request - the framework's request (or context).
   * @param id - the session id the request carries.
   * @param key - the principal key in the session (`undefined`: not tracked).
   */
  check(request: R, id: string | undefined, key: string | undefined): HttpAnswer | undefined | Promise<HttpAnswer | undefined> {
    const slots = request as Slots;
    this.#seen(request);
    if (key === undefined) {
      slots[SESSION] = null;
      return undefined;
    }
    // One in-memory check: the session when active, else the answer the helpers go on from.
    const peeked = this.policy.registry.peekRequest(id, key);
    if (peeked !== undefined && !('status' in peeked)) {
      slots[SESSION] = peeked;
      const made = slots[HELPERS];
      if (made !== undefined) made.session = peeked;
      return undefined;
    }
    slots[SESSION] = null;
    return this.helpers(request).checkPeeked(peeked, id, key);
  }

  /**
   * {@link check} for a session mechanism that keeps the policy's marker — its own session
   * id and the principal key — in the session data (koa-session's cookie mode,
   * @hapi/cookie, @fastify/secure-session; see {@link MarkerSessionBinding}).
   *
   * @param request - the framework's request (or context).
   * @param data - the session data as the session library holds it (any value).
   */
  checkMarker(request: R, data: unknown): HttpAnswer | undefined | Promise<HttpAnswer | undefined> {
    const key = markerKey(data);
    return this.check(request, key === undefined ? undefined : markerId(data), key);
  }

  /**
   * The check through the request's own binding, for a session mechanism the adapter
   * cannot read directly (a custom binding): makes the helpers at once.
   *
   * @param request - the framework's request (or context).
   */
  checkThroughBinding(request: R): HttpAnswer | undefined | Promise<HttpAnswer | undefined> {
    this.#seen(request);
    (request as Slots)[SESSION] = null;
    return this.helpers(request).check();
  }

  /**
   * The request's helpers, made on first use (what the accessor of {@link install} gives).
   *
   * @param request - the framework's request (or context).
   */
  helpers(request: R): RequestPolicy {
    const slots = request as Slots;
    let made = slots[HELPERS];
    if (made === undefined) {
      const { binding, info } = this.#parts(request);
      made = this.policy.request(binding, info);
      made.session = slots[SESSION] ?? undefined;
      slots[HELPERS] = made;
    }
    return made;
  }

  /**
   * Puts the helpers' accessor on a request prototype (hapi's and Fastify's request
   * class; Express's and Koa's are found from the first request). Assigning the property
   * replaces it on that request.
   *
   * @param prototype - the prototype of the framework's requests.
   */
  install(prototype: object): void {
    Object.defineProperty(prototype, this.#property, { ...this.accessor(), configurable: true, enumerable: false });
    (prototype as Slots)[OWNER] = this as unknown as RequestGate<never>;
  }

  /**
   * The helpers' accessor that {@link install} puts on a prototype, for a framework that
   * defines request properties itself (Fastify's `decorateRequest` getter and setter):
   * the getter makes the helpers on first use; assigning the property replaces it on that
   * request.
   */
  accessor(): { get(this: R): RequestPolicy | undefined; set(this: R, value: unknown): void } {
    const owner = this;
    const everyRequest = this.#everyRequest;
    const property = this.#property;
    return {
      get(this: R & Slots) {
        const made = this[HELPERS];
        if (made !== undefined) return made;
        const gate = (this[GATE] as RequestGate<R> | undefined) ?? (everyRequest || this[SESSION] !== undefined ? owner : undefined);
        return gate?.helpers(this);
      },
      set(this: R, value: unknown) {
        Object.defineProperty(this, property, { value, writable: true, configurable: true, enumerable: true });
      },
    };
  }

  // Express and Koa: the accessor goes on the prototype of the first request seen; a
  // request under a prototype another gate owns names its gate in a slot.
  #seen(request: R): void {
    if (this.#everyRequest) return;
    const prototype = Object.getPrototypeOf(request) as Slots;
    const owner = prototype[OWNER];
    if (owner === (this as unknown as RequestGate<never>)) return;
    if (owner === undefined) this.install(prototype);
    else (request as Slots)[GATE] = this as unknown as RequestGate<never>;
  }
}
