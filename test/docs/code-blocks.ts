// Extracts the TypeScript code blocks of the project's Markdown files and type-checks them
// against the real packages, in one TypeScript program. Rules:
// - a block fenced as ```ts (or ```typescript, ```mts, ```cts) is checked, always: no
//   opt-out. A snippet that is not TypeScript says so with its own language (```js,
//   ```sh, ```text, or a bare ```), and is not checked;
// - each block is its own ES module (top-level await works, names do not clash between
//   blocks); the placeholders a snippet leaves to the reader (`user`, `secret`,
//   `checkPassword`, …) are declared once, in test/docs/prelude.d.ts.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '../..');

const CHECKED = new Set(['ts', 'typescript', 'mts', 'cts']);

/** One fenced code block of a Markdown file. */
export interface CodeBlock {
  /** The Markdown file, relative to the repository root. */
  readonly file: string;
  /** The 1-based line of the block's first code line in the Markdown file. */
  readonly line: number;
  /** The fence's language (`ts`, `js`, `sh`, `''` …). */
  readonly lang: string;
  /** The code. */
  readonly code: string;
}

/**
 * Every Markdown file whose blocks are checked: the README, every `docs/*.md` (found at run
 * time, so a new page is covered without listing it), and the packages', adapters' and
 * examples' READMEs.
 */
export function markdownFiles(): string[] {
  const files = ['README.md'];
  const docs = join(ROOT, 'docs');
  for (const name of readdirSync(docs).sort()) if (name.endsWith('.md')) files.push(`docs/${name}`);
  for (const parent of ['packages', 'adapters', 'examples']) {
    for (const dir of readdirSync(join(ROOT, parent), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!dir.isDirectory()) continue;
      const readme = `${parent}/${dir.name}/README.md`;
      try {
        readFileSync(join(ROOT, readme));
        files.push(readme);
      } catch {
        // no README in this directory
      }
    }
  }
  return files;
}

/** The fenced code blocks of one Markdown file (fences may be indented, as in lists). */
export function codeBlocks(file: string): CodeBlock[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  let open: { fence: string; indent: number; lang: string; line: number; code: string[] } | undefined;
  lines.forEach((text, index) => {
    const fence = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(text);
    if (!open) {
      if (fence) open = { fence: fence[2]!, indent: fence[1]!.length, lang: fence[3]!.toLowerCase(), line: index + 2, code: [] };
      return;
    }
    if (fence && fence[2]!.startsWith(open.fence) && fence[3] === '' && text.trim() === fence[2]) {
      blocks.push({ file, line: open.line, lang: open.lang, code: open.code.join('\n') });
      open = undefined;
      return;
    }
    open.code.push(text.slice(Math.min(open.indent, /^\s*/.exec(text)![0].length)));
  });
  return blocks;
}

/** Whether a block is type-checked. */
export const isChecked = (block: CodeBlock): boolean => CHECKED.has(block.lang);

/** A type error in a block, placed in its Markdown file. */
export interface BlockError {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/**
 * Type-checks every checked block of the given files in one program; returns the errors,
 * each at its line in the Markdown file.
 */
export function typeCheckBlocks(files: readonly string[]): BlockError[] {
  const out = join(ROOT, '.test-output/doc-blocks');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const where = new Map<string, CodeBlock>();
  for (const file of files) {
    for (const block of codeBlocks(file).filter(isChecked)) {
      const ext = block.lang === 'cts' ? 'cts' : 'mts';
      const name = join(out, `${file.replace(/[/.]/g, '_')}_${block.line}.${ext}`);
      // The block as written, then `export {}` so that it is a module even without imports.
      writeFileSync(name, `${block.code}\nexport {};\n`);
      where.set(name, block);
    }
  }
  const base = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.base.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!base) throw new Error('tsconfig.base.json could not be read');
  const options: ts.CompilerOptions = { ...base.options, noEmit: true, declaration: false, sourceMap: false, noUnusedLocals: false };
  const program = ts.createProgram([...where.keys(), join(ROOT, 'test/docs/prelude.d.ts')], options);
  const errors: BlockError[] = [];
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const source = diagnostic.file?.fileName;
    const block = source === undefined ? undefined : where.get(resolve(source));
    if (!block || diagnostic.start === undefined) {
      errors.push({ file: source ? relative(ROOT, source) : '(program)', line: 0, message });
      continue;
    }
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start);
    errors.push({ file: block.file, line: block.line + line, message });
  }
  return errors;
}
