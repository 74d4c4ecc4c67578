// Bad bodies get the body parser's answer (413, 415, 400), not a 500, and nothing is
// logged as a crash (the check is shared by the Express-based examples).
import test from 'ava';
import { checkBodyErrors } from '../../shared/src/body-errors.js';
import { startExample } from '../src/app.js';

test('too large, unsupported charset or encoding, malformed JSON: the parser status, nothing logged', async (t) => {
  const app = await startExample();
  t.teardown(() => app.close());
  await checkBodyErrors(t, app);
});
