// Serves @session-policy/browser to the page without a build step: when run from the repository (the
// `session-policy-source` condition resolves the package to its TypeScript sources) each source file is transpiled once, at
// start, with TypeScript's transpileModule; from a built package the compiled `dist`
// files are served as they are. Either way the browser gets plain ES modules.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The URL prefix the helper's modules are served under. */
export const BROWSER_ASSETS = '/assets/session-policy-browser/';

/** The URL socket.io-client's browser ES module is served at (for the page's ?stream=socket.io). */
export const SOCKET_IO_CLIENT = '/assets/socket.io-client.js';

/** socket.io-client's own browser ES module build, from node_modules. */
export function loadSocketIoClient(): string {
  // The package's entry is build/<flavour>/index.js; the browser bundles are in dist/.
  return readFileSync(new URL('../../dist/socket.io.esm.min.js', import.meta.resolve('socket.io-client')), 'utf8');
}

/** Module file name → JavaScript source. */
export function loadBrowserAssets(): Map<string, string> {
  const entry = fileURLToPath(import.meta.resolve('@session-policy/browser'));
  const dir = dirname(entry);
  const assets = new Map<string, string>();
  for (const file of readdirSync(dir)) {
    if (file.endsWith('.d.ts')) continue;
    const source = readFileSync(join(dir, file), 'utf8');
    if (file.endsWith('.ts')) {
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2020, verbatimModuleSyntax: true },
        fileName: file,
      });
      assets.set(file.replace(/\.ts$/, '.js'), outputText);
    } else if (file.endsWith('.js')) {
      assets.set(file, source);
    }
  }
  return assets;
}
