import { InvalidOptionError } from '@session-policy/core';
import { MarkerSessionBinding, SESSION_MARKER, markerKey, markerValue, type SessionBinding, type SessionMarker } from '@session-policy/core/http';

/** The @fastify/session `Session` parts the binding uses (its types are not required). */
interface StoreSession {
  readonly sessionId?: string;
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  regenerate(): Promise<void>;
  destroy(): Promise<void>;
}

/** The @fastify/secure-session `Session` parts the binding uses. */
interface SecureSession {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
  regenerate(): void;
  delete(): void;
}

/** What a session plugin puts on the request (`null` until its `onRequest` hook ran). */
export interface SessionRequest<S> {
  session?: S | null;
}

const MISSING = 'register @fastify/session (with @fastify/cookie) or @fastify/secure-session before @session-policy/fastify';

function sessionOf<S>(request: SessionRequest<S>): S {
  if (!request.session) throw new InvalidOptionError('session', MISSING);
  return request.session;
}

/**
 * @fastify/session: the id is the store's `session.sessionId`; the principal key lives in
 * the session data. `regenerate()` and `destroy()` replace `request.session`, so it is
 * read afresh each time.
 */
export class StoreSessionBinding implements SessionBinding {
  constructor(private readonly request: SessionRequest<StoreSession>) {}

  id(): string | undefined {
    return this.request.session?.sessionId;
  }

  principalKey(): string | undefined {
    return markerKey(this.request.session);
  }

  setPrincipalKey(key: string): void {
    sessionOf(this.request).set(SESSION_MARKER, markerValue({ key }));
  }

  regenerate(): Promise<void> {
    return sessionOf(this.request).regenerate();
  }

  async destroy(): Promise<void> {
    await this.request.session?.destroy?.();
  }
}

/**
 * @fastify/secure-session: the whole session lives in an encrypted cookie with no
 * server-side id, so the binding keeps an id of its own in the session data (144 random
 * bits, issued at each login), next to the principal key. A copy of the cookie taken
 * before a logout, eviction or revocation is then refused by the registry.
 */
export class SecureSessionBinding extends MarkerSessionBinding {
  constructor(private readonly request: SessionRequest<SecureSession>) {
    super();
  }

  // The session is a Proxy that reads data fields as properties.
  protected data(): unknown {
    return this.request.session;
  }

  protected writeMarker(marker: SessionMarker): void {
    sessionOf(this.request).set(SESSION_MARKER, markerValue(marker));
  }

  protected clear(): void {
    sessionOf(this.request).regenerate();
  }

  protected drop(): void {
    const session = this.request.session;
    // Emptied too: `delete()` only expires the cookie, the data would still read back.
    session?.regenerate();
    session?.delete();
  }
}
