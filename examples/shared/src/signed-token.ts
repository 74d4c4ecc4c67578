// Short-lived signed tokens for what the examples must carry through a page without
// trusting the page: the login ticket of the "sign out another device?" page (instead of
// the password in hidden fields), and the notices of a redirect (who signed this device
// out, which devices a sign-in signed out) that a crafted link must not be able to fake.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Signs and verifies JSON values for one purpose, valid for `ttl` milliseconds. */
export class SignedTokens<T> {
  readonly #key: Buffer;

  /**
   * @param secret - the app's secret (a token of one purpose is refused for another).
   * @param purpose - what the tokens are for (`login-ticket`, `notice`…).
   * @param ttl - how long a token is valid, in milliseconds.
   * @param clock - the time, in milliseconds (the examples' injected clock in tests).
   */
  constructor(
    secret: string | Buffer,
    purpose: string,
    readonly ttl: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.#key = createHmac('sha256', secret).update(`session-policy-example:${purpose}`).digest();
  }

  /** A token carrying `value` until now + ttl. */
  sign(value: T): string {
    const body = Buffer.from(JSON.stringify({ v: value, exp: this.clock() + this.ttl, n: randomBytes(6).toString('base64url') })).toString('base64url');
    return `${body}.${this.#mac(body)}`;
  }

  /** The value of a valid, unexpired token of this purpose; `undefined` for anything else. */
  verify(token: unknown): T | undefined {
    if (typeof token !== 'string' || token.length > 4096) return undefined;
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) return undefined;
    const expected = Buffer.from(this.#mac(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const { v, exp } = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { v: T; exp: number };
      return typeof exp === 'number' && exp > this.clock() ? v : undefined;
    } catch {
      return undefined;
    }
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url');
  }
}
