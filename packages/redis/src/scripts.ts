import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** One Lua script, with its includes resolved. */
export interface Script {
  /** Its name (the file name without `-<numkeys>.lua`). */
  readonly name: string;
  /** How many of its arguments are keys. */
  readonly numKeys: number;
  /** The source sent with `EVAL` when a node does not have it yet. */
  readonly source: string;
  /** The SHA-1 of the source, for `EVALSHA`. */
  readonly sha: string;
}

const DIR = new URL('./scripts/', import.meta.url);
const INCLUDE = /^-- @include "([^"]+)"$/gm;

/**
 * Loads `scripts/<name>-<numKeys>.lua`, replacing each `-- @include "<path>"` line with
 * the file it names (relative to the scripts folder). Each include holds one function;
 * a file included twice is inserted once.
 *
 * @param file - the file name, e.g. `admit-6.lua`.
 */
export function loadScript(file: string): Script {
  const m = /^(.+)-(\d+)\.lua$/.exec(file);
  if (!m) throw new Error(`script file names end in -<numkeys>.lua: ${file}`);
  const seen = new Set<string>();
  const source = readFileSync(new URL(file, DIR), 'utf8').replace(INCLUDE, (_, path: string) => {
    if (seen.has(path)) return '';
    seen.add(path);
    return readFileSync(new URL(path, DIR), 'utf8');
  });
  return { name: m[1] as string, numKeys: Number(m[2]), source, sha: createHash('sha1').update(source).digest('hex') };
}

/** The store's scripts (one operation each; headers list their KEYS, ARGV and reply). */
export const SCRIPTS = {
  admit: loadScript('admit-6.lua'),
  check: loadScript('check-6.lua'),
  touch: loadScript('touch-6.lua'),
  list: loadScript('list-6.lua'),
  end: loadScript('end-6.lua'),
  endAll: loadScript('end-all-6.lua'),
  sweep: loadScript('sweep-6.lua'),
  sweepBegin: loadScript('sweep-begin-2.lua'),
  apply: loadScript('apply-6.lua'),
  repair: loadScript('repair-6.lua'),
  summary: loadScript('summary-1.lua'),
} as const;
