import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** One Lua script of the coordinator. */
export interface Script {
  /** The source, sent with `EVAL` when Redis does not have it yet. */
  readonly source: string;
  /** Its SHA-1, for `EVALSHA`. */
  readonly sha: string;
}

const DIR = new URL('./scripts/', import.meta.url);

function load(file: string): Script {
  const source = readFileSync(new URL(file, DIR), 'utf8');
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/** The coordinator's scripts, one operation each (every one takes one key). */
export const SCRIPTS = {
  write: load('write-1.lua'),
  remove: load('remove-1.lua'),
  acquirePermit: load('acquire-permit-1.lua'),
  renewPermit: load('renew-permit-1.lua'),
  releasePermit: load('release-permit-1.lua'),
} as const;
