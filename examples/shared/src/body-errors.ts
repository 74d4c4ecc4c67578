// The bad-body check every Express-based example runs: bodies the parsers refuse (413 too
// large, 415 unsupported charset or encoding, 400 malformed) get the parser's status and
// error type, nothing is logged as a crash, and the app still serves afterwards.
import type { ExecutionContext } from 'ava';
import type { RunningExample } from './example-options.js';

/** Posts the refused bodies to `/login` of a started example and checks the answers. */
export async function checkBodyErrors(t: ExecutionContext, app: RunningExample): Promise<void> {
  const logged: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void logged.push(args);
  t.teardown(() => {
    console.error = original;
  });
  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${app.url}/login`, { method: 'POST', headers: { accept: 'application/json', ...headers }, body });
  const cases: { body: string; headers: Record<string, string>; status: number; error: string }[] = [
    { body: JSON.stringify({ username: 'a'.repeat(40_000) }), headers: { 'content-type': 'application/json' }, status: 413, error: 'entity.too.large' },
    { body: '{}', headers: { 'content-type': 'application/json; charset=utf-99' }, status: 415, error: 'charset.unsupported' },
    { body: '{}', headers: { 'content-type': 'application/json', 'content-encoding': 'br2' }, status: 415, error: 'encoding.unsupported' },
    { body: '{"username":', headers: { 'content-type': 'application/json' }, status: 400, error: 'entity.parse.failed' },
  ];
  for (const c of cases) {
    const response = await post(c.body, c.headers);
    t.is(response.status, c.status, c.error);
    t.deepEqual(await response.json(), { error: c.error });
  }
  t.deepEqual(logged, []);
  t.is((await post(JSON.stringify({ username: 'alice', password: 'alice-pw' }), { 'content-type': 'application/json' })).status, 200, 'the app still serves');
}
