import test from 'ava';
import { SESSION_MARKER, newSessionId, readMarker } from '@session-policy/core/http';

test('an absent marker is an untracked session', (t) => {
  for (const data of [undefined, null, 'x', 42, {}, { user: 'alice' }, { [SESSION_MARKER]: null }]) {
    t.is(readMarker(data), undefined);
  }
});

test('a marker gives the key and, when present, our own id', (t) => {
  t.deepEqual(readMarker({ [SESSION_MARKER]: { key: 'alice' } }), { key: 'alice' });
  t.deepEqual(readMarker({ [SESSION_MARKER]: { key: 'alice', id: 'abc' } }), { key: 'alice', id: 'abc' });
});

test('a malformed marker is still a marker, with empty strings the check refuses', (t) => {
  t.deepEqual(readMarker({ [SESSION_MARKER]: 'alice' }), { key: '', id: '' });
  t.deepEqual(readMarker({ [SESSION_MARKER]: { key: 7, id: {} } }), { key: '', id: '' });
  t.deepEqual(readMarker({ [SESSION_MARKER]: {} }), { key: '' });
});

test('new session ids are random base64url strings of 144 bits', (t) => {
  const ids = new Set(Array.from({ length: 1000 }, () => newSessionId()));
  t.is(ids.size, 1000);
  for (const id of ids) t.regex(id, /^[A-Za-z0-9_-]{24}$/);
});
