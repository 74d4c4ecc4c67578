/**
 * Throws a `TypeError` naming an option the function does not take (`onended`), which
 * would otherwise be ignored without a word, with the known name it differs from only by
 * case when there is one; options that are no object at all are refused too.
 *
 * @param options - the options as given.
 * @param known - every name the function takes.
 * @param owner - the function, for the message.
 */
export function rejectUnknownOptions(options: object, known: readonly string[], owner: string): void {
  if (options === null || typeof options !== 'object') throw new TypeError(`${owner}: options must be an object (of ${known.join(', ')})`);
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const close = known.find((k) => k.toLowerCase() === name.toLowerCase());
    throw new TypeError(`${owner}: unknown option "${name}"${close ? ` (did you mean "${close}"?)` : `; it takes ${known.join(', ')}`}`);
  }
}
