// Bad bodies get the body parser's answer (413, 415, 400), not a 500, and nothing is
// logged as a crash (the same parsers as the Express example, ahead of passport).
import test from 'ava';
import { startExample } from '../src/app.js';

test('too large, unsupported charset or encoding, malformed JSON: the parser status, nothing logged', async (t) => {
  const app = await startExample();
  t.teardown(() => app.close());
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
});
