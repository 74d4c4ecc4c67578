// The storage rules are written once, in docs/storage-rules.md (R1, R2 …); the stores
// cite a rule by its id where they implement it (TypeScript, Lua, SQL). A citation must
// name a rule of the table, so that a reader can always find what the code implements.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';

const ROOT = new URL('../../', import.meta.url).pathname;
const rules = new Set([...readFileSync(join(ROOT, 'docs/storage-rules.md'), 'utf8').matchAll(/^\| (R\d+) \|/gm)].map((m) => m[1]!));

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|lua|sql)$/.test(name)) out.push(path);
  }
  return out;
}

const IMPLEMENTATIONS = ['packages/core/src', 'packages/redis/src', 'packages/postgres/src', 'packages/store-test-suite/src'];
const files = IMPLEMENTATIONS.flatMap(sources);

test('the rules table has its rules', (t) => {
  t.true(rules.size >= 20, [...rules].join(' '));
  t.true(rules.has('R1') && rules.has('R14'));
});

test('every rule cited in the stores names a rule of docs/storage-rules.md', (t) => {
  const unknown: string[] = [];
  let cited = 0;
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/\bR(\d{1,2})\b/g)) {
      cited++;
      if (!rules.has(`R${m[1]}`)) unknown.push(`${file}: R${m[1]}`);
    }
    // Names from before the table (R-EXPIRE, R-NOREVIVE …) are not ids of it.
    for (const m of text.matchAll(/\bR-[A-Z]{3,}\b/g)) unknown.push(`${file}: ${m[0]}`);
  }
  t.deepEqual(unknown, []);
  t.true(cited > 50, `only ${cited} citations found`);
});

test('the Redis scripts and the Postgres store cite the rules they implement', (t) => {
  const cites = (prefix: string) =>
    new Set(files.filter((f) => f.startsWith(prefix)).flatMap((f) => [...readFileSync(join(ROOT, f), 'utf8').matchAll(/\bR(\d{1,2})\b/g)].map((m) => `R${m[1]}`)));
  // The Lua scripts decide admission, expiry and tombstones themselves; the Postgres store
  // plans with core's planner (which cites the admission rules) and implements the rest.
  const own: Record<string, readonly string[]> = {
    'packages/redis/src/scripts': ['R1', 'R3', 'R5', 'R6', 'R7', 'R8', 'R9', 'R10', 'R11', 'R12', 'R13', 'R14', 'R15', 'R18', 'R19', 'R20'],
    'packages/postgres/src': ['R1', 'R4', 'R7', 'R8', 'R11', 'R13', 'R14', 'R18', 'R20'],
  };
  for (const [prefix, expected] of Object.entries(own)) {
    const found = cites(prefix);
    t.deepEqual(expected.filter((r) => !found.has(r)), [], prefix);
  }
});
