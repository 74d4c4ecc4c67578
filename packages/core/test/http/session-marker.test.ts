import test from 'ava';
import { SESSION_MARKER, markerId, markerKey, markerValue, newSessionId, readMarker } from '@session-policy/core/http';

test('an absent marker is an untracked session', (t) => {
  for (const data of [undefined, null, 'x', 42, {}, { user: 'alice' }, { [SESSION_MARKER]: null }]) {
    t.is(readMarker(data), undefined);
  }
});

test('a marker is stored compactly: the key alone, or [id, key]', (t) => {
  t.is(markerValue({ key: 'alice' }), 'alice');
  t.deepEqual(markerValue({ key: 'alice', id: 'abc' }), ['abc', 'alice']);
  t.deepEqual(readMarker({ [SESSION_MARKER]: 'alice' }), { key: 'alice' });
  t.deepEqual(readMarker({ [SESSION_MARKER]: ['abc', 'a.b'] }), { key: 'a.b', id: 'abc' });
  // What the session library hands back after a JSON round trip reads the same.
  for (const marker of [{ key: 'alice' }, { key: 'alice', id: 'abc' }]) {
    t.deepEqual(readMarker(JSON.parse(JSON.stringify({ [SESSION_MARKER]: markerValue(marker) }))), marker);
  }
});

test('the object form of earlier versions is still read', (t) => {
  t.deepEqual(readMarker({ [SESSION_MARKER]: { key: 'alice' } }), { key: 'alice' });
  t.deepEqual(readMarker({ [SESSION_MARKER]: { key: 'alice', id: 'abc' } }), { key: 'alice', id: 'abc' });
});

test('markerKey and markerId read every form without readMarker', (t) => {
  for (const value of ['alice', ['abc', 'alice'], { key: 'alice' }, { key: 'alice', id: 'abc' }, 42, ['abc'], [1, 2], { key: 7, id: {} }, {}]) {
    const data = { [SESSION_MARKER]: value };
    const read = readMarker(data)!;
    t.is(markerKey(data), read.key, JSON.stringify(value));
    t.is(markerId(data), read.id, JSON.stringify(value));
  }
  t.is(markerKey({ user: 'alice' }), undefined);
  t.is(markerId({ user: 'alice' }), undefined);
});

test('a malformed marker is still a marker, with empty strings the check refuses', (t) => {
  t.deepEqual(readMarker({ [SESSION_MARKER]: 42 }), { key: '', id: '' });
  t.deepEqual(readMarker({ [SESSION_MARKER]: ['abc'] }), { key: '', id: '' });
  t.deepEqual(readMarker({ [SESSION_MARKER]: [1, 2] }), { key: '', id: '' });
  t.deepEqual(readMarker({ [SESSION_MARKER]: { key: 7, id: {} } }), { key: '', id: '' });
  t.deepEqual(readMarker({ [SESSION_MARKER]: {} }), { key: '' });
});

test('new session ids are random base64url strings of 144 bits', (t) => {
  const ids = new Set(Array.from({ length: 1000 }, () => newSessionId()));
  t.is(ids.size, 1000);
  for (const id of ids) t.regex(id, /^[A-Za-z0-9_-]{24}$/);
});
