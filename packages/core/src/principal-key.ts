import { InvalidOptionError, InvalidPrincipalError } from './errors.js';
import { rejectUnknownOptions } from './unknown-options.js';

/**
 * How principals become keys. A key is a canonical string: two values that describe the
 * same user always give the same key, whatever object they come in (the bug of seed 004,
 * where a principal class without `equals` made every login look like a new user, cannot
 * happen: identity is never object identity).
 *
 * Strings and finite numbers are keys as they are (numbers in decimal); objects give the
 * value of their id field. The result is then normalized as configured. A key passed
 * back in maps to itself, so adapters may store the key and hand it back on each request.
 *
 * @public
 */
export interface PrincipalKeyOptions {
  /**
   * How to read the id of an object principal: a field name, or a function returning a
   * string or a finite number. Default: the field `id`.
   */
  readonly from?: string | ((principal: object) => unknown);
  /** Trim white space at both ends. Default `false`. */
  readonly trim?: boolean;
  /** Lower-case the key (for emails and other case-insensitive logins). Default `false`. */
  readonly lowerCase?: boolean;
  /**
   * Unicode normalization form applied to the key, or `false` for none. Default `false`;
   * use `'NFC'` when principals are typed by people.
   */
  readonly unicode?: 'NFC' | 'NFD' | 'NFKC' | 'NFKD' | false;
  /** The longest key accepted, in UTF-16 code units. Default 256. */
  readonly maxLength?: number;
}

/**
 * A function from a principal to its canonical key. It throws
 * {@link InvalidPrincipalError} (`ERR_INVALID_PRINCIPAL`) for anything that does not
 * identify a user: `undefined`, `null`, `NaN`, infinities, empty strings, objects without
 * an id, functions, symbols, keys that are too long or hold control characters.
 *
 * @public
 */
export type PrincipalKeyFunction = (principal: unknown) => string;

// C0 and C1 control characters, DEL, and the Unicode line/paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const OPTION_NAMES: Record<keyof PrincipalKeyOptions, true> = { from: true, trim: true, lowerCase: true, unicode: true, maxLength: true };

/**
 * Builds the principal key function from options, validating them once.
 *
 * @param options - see {@link PrincipalKeyOptions}.
 * @public
 */
export function createPrincipalKey(options: PrincipalKeyOptions = {}): PrincipalKeyFunction {
  rejectUnknownOptions(options, Object.keys(OPTION_NAMES), 'SessionRegistry', 'principalKey');
  const { from = 'id', trim = false, lowerCase = false, unicode = false, maxLength = 256 } = options;
  if (typeof from !== 'string' && typeof from !== 'function') {
    throw new InvalidOptionError('principalKey.from', 'must be a field name or a function');
  }
  if (typeof from === 'string' && from.length === 0) {
    throw new InvalidOptionError('principalKey.from', 'must not be empty');
  }
  if (typeof trim !== 'boolean') throw new InvalidOptionError('principalKey.trim', 'must be true or false');
  if (typeof lowerCase !== 'boolean') throw new InvalidOptionError('principalKey.lowerCase', 'must be true or false');
  if (!Number.isInteger(maxLength) || maxLength < 1) {
    throw new InvalidOptionError('principalKey.maxLength', 'must be a positive integer');
  }
  if (unicode !== false && !['NFC', 'NFD', 'NFKC', 'NFKD'].includes(unicode)) {
    throw new InvalidOptionError('principalKey.unicode', "must be 'NFC', 'NFD', 'NFKC', 'NFKD' or false");
  }
  const read = typeof from === 'function' ? from : (principal: object) => (principal as Record<string, unknown>)[from];

  function scalar(value: unknown, what: string): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new InvalidPrincipalError(`${what} is not a finite number`);
      return Object.is(value, -0) ? '0' : String(value);
    }
    if (typeof value === 'bigint') return value.toString();
    throw new InvalidPrincipalError(`${what} must be a string or a finite number, got ${kind(value)}`);
  }

  return function principalKey(principal: unknown): string {
    let key: string;
    if (principal !== null && typeof principal === 'object') {
      let id: unknown;
      try {
        id = read(principal);
      } catch (error) {
        throw new InvalidPrincipalError(`reading the principal's id failed: ${(error as Error)?.message ?? String(error)}`);
      }
      if (id === undefined || id === null) {
        throw new InvalidPrincipalError(
          typeof from === 'string' ? `the principal object has no "${from}" field` : 'the principalKey.from function returned no id',
        );
      }
      key = scalar(id, "the principal's id");
    } else {
      key = scalar(principal, 'the principal');
    }
    if (trim) key = key.trim();
    if (unicode) key = key.normalize(unicode);
    if (lowerCase) key = key.toLowerCase();
    if (key.length === 0) throw new InvalidPrincipalError('the principal key is empty');
    if (key.length > maxLength) throw new InvalidPrincipalError(`the principal key is longer than ${maxLength} characters`);
    if (CONTROL.test(key)) throw new InvalidPrincipalError('the principal key contains control characters');
    return key;
  };
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Number.isNaN(value)) return 'NaN';
  return typeof value;
}
