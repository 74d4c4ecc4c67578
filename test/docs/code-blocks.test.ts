// Every TypeScript block of README.md, docs/*.md and the packages' READMEs type-checks
// against the real packages (see test/docs/code-blocks.ts for the rules).
import test from 'ava';
import { codeBlocks, isChecked, markdownFiles, typeCheckBlocks, type BlockError } from './code-blocks.js';

const files = markdownFiles();

/**
 * Pages whose blocks do not type-check yet, each with why. Their test is an ava
 * `test.failing`: it fails as soon as the page compiles, to say "remove it from here".
 * Add nothing to this list for a new page: make its blocks compile.
 */
const NOT_YET: Readonly<Record<string, string>> = {};
const FIXTURE = 'test/docs/fixtures/broken.md';
let checked: BlockError[] | undefined;
// One program for every page and the fixture.
const errors = () => (checked ??= typeCheckBlocks([...files, FIXTURE]));

test('every docs/*.md page is covered, and the README', (t) => {
  t.true(files.includes('README.md'));
  t.true(files.filter((f) => f.startsWith('docs/')).length >= 6);
  t.true(files.flatMap(codeBlocks).filter(isChecked).length >= 20);
});

test('the checker reports a type error at its line in the Markdown file, and checks only TypeScript blocks', (t) => {
  const blocks = codeBlocks(FIXTURE);
  t.deepEqual(blocks.map((b) => [b.lang, b.line, isChecked(b)]), [['ts', 4, true], ['js', 12, false], ['ts', 18, true]]);
  const found = errors().filter((e) => e.file === FIXTURE);
  t.is(found.length, 1);
  t.is(found[0]!.line, 6);
  t.regex(found[0]!.message, /not assignable to type 'number'/);
  t.deepEqual(errors().filter((e) => e.file !== FIXTURE && (e.file === '(program)' || e.file.startsWith('test/'))), [], 'no error outside the blocks (the prelude compiles)');
});

for (const file of files) {
  const count = codeBlocks(file).filter(isChecked).length;
  if (count === 0) continue;
  const pending = NOT_YET[file];
  (pending ? test.failing : test)(`${file}: its ${count} TypeScript block(s) type-check${pending ? ` (not yet: ${pending})` : ''}`, (t) => {
    const mine = errors().filter((e) => e.file === file);
    t.deepEqual(mine.map((e) => `${e.file}:${e.line}: ${e.message}`), []);
  });
}
