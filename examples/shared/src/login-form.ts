// Reads a sign-in request of any example: a user name and password, or the signed login
// ticket of the "sign out another device?" page (which carries no password).
import type { ExampleNotices } from './notices.js';
import { authenticate } from './users.js';

/** A sign-in that passed the password (or ticket) check. */
export interface LoginRequest {
  readonly user: string;
  readonly deviceId: string | undefined;
  /** The handle of the device to sign out first, as posted (the policy refuses a malformed one). */
  readonly signOut: string | undefined;
}

/** The sign-in a form or JSON body asks for, or `undefined` when the credentials are wrong. */
export function readLogin(users: Readonly<Record<string, string>>, notices: ExampleNotices, body: unknown): LoginRequest | undefined {
  const { username, password, deviceId, signOut, ticket } = (body ?? {}) as Record<string, unknown>;
  const signOutGiven = signOut === undefined || signOut === '' ? undefined : (signOut as string);
  if (ticket !== undefined && ticket !== '') {
    const valid = notices.tickets.verify(ticket);
    return valid ? { user: valid.user, deviceId: valid.deviceId, signOut: signOutGiven } : undefined;
  }
  const user = authenticate(users, username, password);
  if (!user) return undefined;
  return { user, deviceId: typeof deviceId === 'string' && deviceId !== '' ? deviceId : undefined, signOut: signOutGiven };
}
