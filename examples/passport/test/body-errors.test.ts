// Bad bodies get the body parser's answer (413, 415, 400), not a 500, and nothing is
// logged as a crash (the bodies are shared by the Express-based examples).
import test from 'ava';
import { BAD_BODIES, postBadBodies } from '../../shared/src/body-errors.js';
import { startExample } from '../src/app.js';

test('too large, unsupported charset or encoding, malformed JSON: the parser status, nothing logged', async (t) => {
  const app = await startExample();
  t.teardown(() => app.close());
  const seen = await postBadBodies(app);
  t.deepEqual(
    seen.answers,
    BAD_BODIES.map((c) => ({ status: c.status, body: { error: c.error } })),
  );
  t.deepEqual(seen.logged, [], 'nothing logged as a crash');
  t.is(seen.afterwards, 200, 'the app still serves');
});
