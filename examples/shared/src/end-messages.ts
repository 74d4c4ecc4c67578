// Why a device was signed out, in words. The `?ended=` query of a redirect is mapped
// through this fixed table: anything else is ignored, so a crafted link cannot print its
// own text on the page. The user's name comes from a signed notice, never from the URL.
import type { EndedReason } from '@session-policy/core/http';

const MESSAGES: Readonly<Record<EndedReason, (who: string) => string>> = {
  evicted: (who) => `You were signed out because ${who} signed in on another device (the account allows only so many at once).`,
  replaced: (who) => `You were signed out because ${who} signed in again on this device.`,
  idle: () => 'You were signed out after a while without activity.',
  absolute: () => 'You were signed out because your session reached its maximum age.',
  logout: (who) => `You were signed out because ${who} chose "Log out everywhere" on another device.`,
  revoked: (who) => `You were signed out because ${who} signed this device out from another one.`,
  unknown: () => 'Your session is no longer valid (it ended a while ago, or the server forgot it). Please sign in again.',
};

/** The message for an `?ended=` code, or `undefined` when it is not one of ours. */
export function endMessage(code: unknown, user?: string): string | undefined {
  if (typeof code !== 'string' || !Object.hasOwn(MESSAGES, code)) return undefined;
  return MESSAGES[code as EndedReason](user ?? 'your account');
}
