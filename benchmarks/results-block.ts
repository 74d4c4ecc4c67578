import { readFile, writeFile } from 'node:fs/promises';

/** Where a benchmark's generated block lives in `RESULTS.md`. */
export interface ResultsSection {
  /** The section's heading line, e.g. `## HTTP overhead`. */
  readonly heading: string;
  /** The marker name: the block sits between `<!-- <name>:begin … -->` and `<!-- <name>:end -->`. */
  readonly name: string;
  /** The text after `<name>:begin` in the opening marker (how the block is made). */
  readonly note: string;
}

/**
 * Puts a benchmark's generated block into its section of `RESULTS.md`, leaving the rest
 * of the file (other sections, the hand-written readings) as it is: replaces the previous
 * block, or adds it under the section's heading, or appends the section.
 *
 * @param path - the `RESULTS.md` path.
 * @param section - which section.
 * @param block - the generated Markdown.
 */
export async function writeResultsBlock(path: string, section: ResultsSection, block: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    text = '# Benchmark results\n';
  }
  const end = `<!-- ${section.name}:end -->`;
  const generated = `<!-- ${section.name}:begin ${section.note} -->\n${block.trim()}\n${end}`;
  const start = text.indexOf(`<!-- ${section.name}:begin`);
  const stop = text.indexOf(end);
  const heading = text.search(new RegExp(`^${section.heading}\\s*$`, 'm'));
  if (start >= 0 && stop > start) {
    text = text.slice(0, start) + generated + text.slice(stop + end.length);
  } else if (heading >= 0) {
    const lineEnd = text.indexOf('\n', heading);
    const at = lineEnd < 0 ? text.length : lineEnd + 1;
    text = `${text.slice(0, at)}\n${generated}\n${text.slice(at)}`;
  } else {
    text = `${text.trimEnd()}\n\n${section.heading}\n\n${generated}\n`;
  }
  await writeFile(path, text);
}
