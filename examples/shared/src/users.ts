import { createHash, timingSafeEqual } from 'node:crypto';

/** The example's default accounts: user name → password. */
export const DEFAULT_USERS: Readonly<Record<string, string>> = Object.freeze({
  alice: 'alice-pw',
  bob: 'bob-pw',
  carol: 'carol-pw',
});

/**
 * Checks a user name and password against the accounts; returns the user name or
 * `undefined`. Compares digests in constant time (an example, not a password store).
 */
export function authenticate(users: Readonly<Record<string, string>>, username: unknown, password: unknown): string | undefined {
  if (typeof username !== 'string' || typeof password !== 'string' || !Object.hasOwn(users, username)) return undefined;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(users[username] ?? ''), digest(password)) ? username : undefined;
}
