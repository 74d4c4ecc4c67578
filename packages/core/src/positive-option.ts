import { InvalidOptionError } from './errors.js';

/**
 * Validates a numeric option that must be greater than 0 (a timeout, an interval, a size)
 * and returns it, or `fallback` when it is `undefined`; throws {@link InvalidOptionError}
 * (`ERR_INVALID_OPTION`) naming the option otherwise. For stores' option resolution.
 *
 * @example
 * ```ts
 * const timeout = positiveOption(options.commandTimeout, 1000, 'commandTimeout', false);
 * const max = positiveOption(given.max, 10_000, 'nearCache.max', true);
 * ```
 * @param value - the option as given.
 * @param fallback - its default.
 * @param name - the option's name for the error, dotted for nested options.
 * @param integer - whether it must also be an integer.
 * @throws InvalidOptionError (`ERR_INVALID_OPTION`) for anything but a finite number > 0
 *   (an integer when `integer`).
 *
 * @public
 */
export function positiveOption(value: unknown, fallback: number, name: string, integer: boolean): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new InvalidOptionError(name, `must be a finite ${integer ? 'integer' : 'number'} greater than 0`);
  }
  return v;
}
