import { InvalidOptionError } from '../errors.js';
import type { SessionBinding } from './session-binding.js';

/**
 * A session scheme the application reads itself (a JWT's `jti` and `sub`, …), as an
 * adapter's options give it. Validated by {@link SchemeBinding.validate}.
 *
 * @public
 */
export interface SessionScheme<R, S> {
  /** The request's session id under the scheme. Given with {@link getPrincipalKey}. */
  readonly getSessionId?: ((request: R) => string | undefined) | undefined;
  /** The principal key the request's session belongs to, or `undefined` when anonymous. */
  readonly getPrincipalKey?: ((request: R) => string | undefined) | undefined;
  /** Ends the session under the scheme (clear the token cookie, …). Default: nothing. */
  readonly destroySession?: ((request: R, response: S) => void | Promise<void>) | undefined;
}

/**
 * The {@link SessionBinding} of a {@link SessionScheme}: the scheme carries the principal
 * in its own token, so there is nothing to store at login and no id to rotate.
 *
 * @public
 */
export class SchemeBinding<R, S> implements SessionBinding {
  readonly #request: R;
  readonly #response: S;
  readonly #scheme: SessionScheme<R, S>;

  /**
   * Whether the options name a scheme (`getSessionId` and `getPrincipalKey`, which go
   * together), after checking that each of its functions is one.
   *
   * @param options - the adapter's options.
   */
  static validate(options: SessionScheme<never, never>): boolean {
    for (const name of ['getSessionId', 'getPrincipalKey', 'destroySession'] as const) {
      if (options[name] !== undefined && typeof options[name] !== 'function') throw new InvalidOptionError(name, 'must be a function');
    }
    const scheme = options.getSessionId !== undefined || options.getPrincipalKey !== undefined;
    if (scheme && (options.getSessionId === undefined || options.getPrincipalKey === undefined)) {
      throw new InvalidOptionError(options.getSessionId ? 'getPrincipalKey' : 'getSessionId', 'getSessionId and getPrincipalKey go together');
    }
    return scheme;
  }

  /**
   * @param request - the framework's request.
   * @param response - the framework's response.
   * @param scheme - the scheme, validated.
   */
  constructor(request: R, response: S, scheme: SessionScheme<R, S>) {
    this.#request = request;
    this.#response = response;
    this.#scheme = scheme;
  }

  /** The scheme's session id. */
  id(): string | undefined {
    return this.#scheme.getSessionId?.(this.#request);
  }

  /** The scheme's principal key. */
  principalKey(): string | undefined {
    return this.#scheme.getPrincipalKey?.(this.#request);
  }

  /** Nothing: the scheme's token carries the principal. */
  setPrincipalKey(): void {}

  /** The scheme's `destroySession`, if any. */
  async destroy(): Promise<void> {
    await this.#scheme.destroySession?.(this.#request, this.#response);
  }
}
