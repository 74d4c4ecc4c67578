// Bad bodies get Fastify's own answer (413 too large, 415 unsupported media type, 400
// malformed), not a 500, and nothing is logged as a crash.
import test from 'ava';
import { startExample } from '../src/app.js';

for (const sessionPlugin of ['session', 'secure-session'] as const) {
  test(`${sessionPlugin}: too large, unsupported media type, malformed JSON: Fastify's status, nothing logged`, async (t) => {
    const app = await startExample({ sessionPlugin });
    t.teardown(() => app.close());
    const logged: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args);
    t.teardown(() => {
      console.error = original;
    });
    const post = (body: string, headers: Record<string, string>) =>
      fetch(`${app.url}/login`, { method: 'POST', headers: { accept: 'application/json', ...headers }, body });
    const cases: { body: string; headers: Record<string, string>; status: number }[] = [
      { body: JSON.stringify({ username: 'a'.repeat(40_000) }), headers: { 'content-type': 'application/json' }, status: 413 },
      { body: '{}', headers: { 'content-type': 'application/x-unknown' }, status: 415 },
      { body: '{"username":', headers: { 'content-type': 'application/json' }, status: 400 },
    ];
    for (const c of cases) {
      const response = await post(c.body, c.headers);
      t.is(response.status, c.status, c.headers['content-type']);
      const answer = (await response.json()) as { error?: unknown };
      t.is(typeof answer.error, 'string');
    }
    t.deepEqual(logged, []);
    t.is((await post(JSON.stringify({ username: 'alice', password: 'alice-pw' }), { 'content-type': 'application/json' })).status, 200, 'the app still serves');
  });
}
