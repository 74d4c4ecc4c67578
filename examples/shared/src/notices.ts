// What every example carries across a redirect, signed: the login tickets of the
// refusal page, the notices of a bounced device ("alice signed in on another device")
// and of a sign-in that signed other devices out. One secret, three purposes.
import type { EndedSession, HttpAnswer } from '@session-policy/core/http';
import { SignedTokens } from './signed-token.js';

/** A login ticket: who passed the password check, on which device (valid 2 minutes). */
export interface LoginTicket {
  readonly user: string;
  readonly deviceId?: string | undefined;
}

/** The example's signed tokens and the redirect it answers ended sessions with. */
export class ExampleNotices {
  /** Tickets of the "sign out another device?" page: the password is never put on a page. */
  readonly tickets: SignedTokens<LoginTicket>;
  /** The name of the user whose session ended, for the bounced device's message. */
  readonly who: SignedTokens<string>;
  /** The devices a sign-in signed out, for the device that signed in. */
  readonly signedOut: SignedTokens<string[]>;

  constructor(secret: string | Buffer, clock: () => number = Date.now) {
    this.tickets = new SignedTokens(secret, 'login-ticket', 2 * 60_000, clock);
    this.who = new SignedTokens(secret, 'who', 10 * 60_000, clock);
    this.signedOut = new SignedTokens(secret, 'signed-out', 10 * 60_000, clock);
  }

  /**
   * The adapters' `onEnded`: HTML clients are sent to `/?ended=<reason>&who=<signed name>`
   * (the page says why in words, with the name); API clients get the default 401.
   */
  readonly onEnded = (ended: EndedSession): HttpAnswer | undefined => {
    if (!ended.html) return undefined;
    const who = ended.session ? `&who=${encodeURIComponent(this.who.sign(ended.session.principalKey))}` : '';
    return { status: 303, headers: { location: `/?ended=${encodeURIComponent(ended.reason)}${who}`, 'cache-control': 'no-store' }, body: '' };
  };

  /** Where a sign-in that signed other devices out sends the browser. */
  home(signedOut: readonly { deviceId?: string | undefined }[]): string {
    if (signedOut.length === 0) return '/';
    return `/?signedOut=${encodeURIComponent(this.signedOut.sign(signedOut.map((s) => s.deviceId ?? 'a device without a name')))}`;
  }
}
