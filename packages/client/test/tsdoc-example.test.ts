// Point 8 of issue 18: the SessionKeeper TSDoc example must run as written. The test takes
// the example out of src/keeper.ts, points its base URL at the test upstream and runs it in
// a child process.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { startUpstream } from './helpers/upstream.js';

function keeperExample(): string {
  const source = readFileSync(new URL('../src/keeper.ts', import.meta.url), 'utf8');
  const doc = source.slice(0, source.indexOf('export class SessionKeeper'));
  const block = /@example\n \* ```ts\n([\s\S]*?) \* ```/.exec(doc.slice(doc.lastIndexOf('/**')));
  if (!block) throw new Error('no @example block on SessionKeeper');
  return block[1]!.replace(/^ \* ?/gm, '');
}

test('the SessionKeeper TSDoc example runs: one login, the card read, logged out on close', async (t) => {
  const upstream = await startUpstream();
  t.teardown(() => upstream.close());
  const example = keeperExample();
  t.true(example.includes("session.fetch('/card')"));
  // Under the repository's node_modules, so that '@session-policy/client' resolves as in an app.
  const cache = fileURLToPath(new URL('../../../node_modules/.cache/', import.meta.url));
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'keeper-example-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'example.mts');
  writeFileSync(
    file,
    [
      "import { SessionKeeper, cookieStrategy } from '@session-policy/client';",
      "const passwords = new Map([['alice', 'alice-pw']]);",
      example.replaceAll('https://sso.example.edu', upstream.url),
      'console.log(JSON.stringify(card));',
    ].join('\n'),
  );
  // Asynchronously: the upstream answers from this process.
  const run = await promisify(execFile)(process.execPath, ['--conditions=session-policy-source', '--import=tsx', file], { encoding: 'utf8' });
  t.deepEqual(JSON.parse(run.stdout), { user: 'alice', card: 'student card of alice' });
  t.is(upstream.counts.logins, 1);
  t.is(upstream.counts.logouts, 1);
});
