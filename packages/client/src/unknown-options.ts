import { InvalidOptionError } from './errors.js';

/**
 * Refuses option names a constructor does not know (`loginTimout`, `acquiretimeout`…),
 * which would otherwise be ignored and leave the default in force without a word. The
 * error names the option and the names that are known (or the one it differs from only
 * by case).
 *
 * @example
 * ```ts
 * rejectUnknownOptions({ maxx: 2 }, ['strategy', 'max'], 'SessionPool');
 * // → ERR_INVALID_OPTION: Invalid option "maxx": SessionPool has no such option (it takes strategy, max)
 * ```
 * @param options - the options as given (an object; its own enumerable string keys are checked).
 * @param known - every name the constructor takes.
 * @param owner - who takes them, for the message.
 * @param path - for nested options, the outer option's name (`retry`): the error then
 *   names the dotted option (`retry.atempts`). Default: none.
 * @throws InvalidOptionError (`ERR_INVALID_OPTION`) when `options` is not an object (naming
 *   `path`, else `options`, and what it takes), or on the first unknown name.
 * @public
 */
export function rejectUnknownOptions(options: object, known: readonly string[], owner: string, path?: string): void {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError(path ?? 'options', `${path === undefined ? owner : `${owner}'s ${path}`} takes an object (of ${known.join(', ')})`);
  }
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const sameLetters = known.find((k) => k.toLowerCase() === name.toLowerCase());
    throw new InvalidOptionError(
      path === undefined ? name : `${path}.${name}`,
      `${path === undefined ? owner : `${owner}'s ${path}`} has no such option${sameLetters ? `; did you mean "${sameLetters}"?` : ` (it takes ${known.join(', ')})`}`,
    );
  }
}
