import { InvalidOptionError } from './errors.js';

/**
 * Refuses option names a constructor does not know (`maxSesions`, `idleTimout`…), which
 * would otherwise be ignored and leave the default in force without a word. The error
 * names the option and the closest known name.
 *
 * @example
 * ```ts
 * rejectUnknownOptions(options, ['maxSessions', 'onLimit'], 'SessionRegistry');
 * // { maxSesions: 2 } → ERR_INVALID_OPTION: Invalid option "maxSesions": SessionRegistry has
 * //   no such option; did you mean "maxSessions"?
 * ```
 * @param options - the options as given (an object; its own enumerable string keys are checked).
 * @param known - every name the constructor takes.
 * @param owner - who takes them, for the message (`SessionRegistry`, `sessionPolicy()`…).
 * @param path - for nested options, the outer option's name (`nearCache`): the error then
 *   names the dotted option (`nearCache.tll`). Default: none.
 * @throws InvalidOptionError (`ERR_INVALID_OPTION`) when `options` is not an object (naming
 *   `path`, else `options`, and what it takes), or on the first unknown name.
 * @public
 */
export function rejectUnknownOptions(options: object, known: readonly string[], owner: string, path?: string): void {
  // The callers' lists are short constant arrays, searched in place (admit, list and
  // endAll pass through here on every call).
  const where = path === undefined ? owner : `${owner}'s ${path}`;
  if (options === null || typeof options !== 'object') throw new InvalidOptionError(path ?? 'options', `${where} takes an object (of ${known.join(', ')})`);
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const closest = closestName(name, known);
    throw new InvalidOptionError(
      path === undefined ? name : `${path}.${name}`,
      `${where} has no such option${closest ? `; did you mean "${closest}"?` : ` (it takes ${known.join(', ')})`}`,
    );
  }
}

/**
 * The known name closest to a misspelt one: same letters in another case, or within an
 * edit distance of about a third of its length; `undefined` when nothing is close.
 *
 * @param name - the unknown name.
 * @param known - the known names.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.ceil(name.length / 3)) + 1;
  for (const candidate of known) {
    if (candidate.toLowerCase() === lower) return candidate;
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
// two neighbouring letters (`onLimti`) each cost 1.
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}
