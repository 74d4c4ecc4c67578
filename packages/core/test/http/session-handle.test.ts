import test from 'ava';
import { isSessionHandle, sessionHandle } from '../../src/http/session-handle.js';

test('a handle is a stable 22-character base64url digest of the id', (t) => {
  const handle = sessionHandle('s:abc123');
  t.regex(handle, /^[A-Za-z0-9_-]{22}$/);
  t.is(sessionHandle('s:abc123'), handle);
  t.not(sessionHandle('s:abc124'), handle);
  t.true(isSessionHandle(handle));
});

test('a handle reveals nothing of the id', (t) => {
  const id = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
  t.false(sessionHandle(id).includes('AAAA'));
  t.false(isSessionHandle(id), 'a raw id of another length is not a handle');
});

test('isSessionHandle refuses everything else', (t) => {
  for (const value of [undefined, null, 42, {}, '', 'short', 'A'.repeat(21), 'A'.repeat(23), `${'A'.repeat(21)}/`, `${'A'.repeat(21)}=`]) {
    t.false(isSessionHandle(value), String(value));
  }
});
