// React's real runtime for the browser tests, without a bundler or a CDN: React 18's UMD
// builds from node_modules (classic scripts setting window.React and window.ReactDOM),
// and an ES module re-exporting window.React under the bare specifier `react` through an
// import map, so the hook's `import { useEffect } from 'react'` runs as it is.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
// The UMD files are not in the packages' exports: find them beside package.json.
const file = (pkg: string, path: string) => readFileSync(join(dirname(require.resolve(`${pkg}/package.json`)), path), 'utf8');

/** URL → JavaScript source. */
export const REACT_ASSETS = new Map<string, string>([
  ['/vendor/react.js', file('react', 'umd/react.development.js')],
  ['/vendor/react-dom.js', file('react-dom', 'umd/react-dom.development.js')],
  [
    '/vendor/react-module.js',
    `const React = window.React;
export default React;
export const { createElement, Fragment, StrictMode, useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } = React;`,
  ],
]);

/** The `<head>` part that loads React and maps `react` to it. */
export const REACT_HEAD = `<script src="/vendor/react.js"></script><script src="/vendor/react-dom.js"></script>
<script type="importmap">{ "imports": { "react": "/vendor/react-module.js" } }</script>`;
