import { InvalidSessionIdError } from './errors.js';

// Visible ASCII only: what cookie values, JWT ids and UUIDs are made of.
const VISIBLE_ASCII = /^[\u0021-\u007e]+$/;

/**
 * Checks that a session id is a string of 1 to `maxLength` visible ASCII characters and
 * returns it; throws {@link InvalidSessionIdError} (`ERR_INVALID_SESSION_ID`) otherwise.
 *
 * @param value - the candidate session id, from anywhere (cookies are hostile input).
 * @param maxLength - the longest id accepted.
 * @public
 */
export function assertSessionId(value: unknown, maxLength: number): string {
  if (typeof value !== 'string') throw new InvalidSessionIdError(`a session id must be a string, got ${value === null ? 'null' : typeof value}`);
  if (value.length === 0) throw new InvalidSessionIdError('the session id is empty');
  if (value.length > maxLength) throw new InvalidSessionIdError(`the session id is longer than ${maxLength} characters`);
  if (!VISIBLE_ASCII.test(value)) throw new InvalidSessionIdError('the session id must hold visible ASCII characters only');
  return value;
}
