import test from 'ava';
import { endedAnswer, storeUnavailableAnswer } from '@session-policy/core/http';

test('HTML clients of an ended session are redirected (303) with the reason', (t) => {
  t.deepEqual(endedAnswer('evicted', true, '/'), { status: 303, headers: { location: '/?ended=evicted', 'cache-control': 'no-store' }, body: '' });
  t.is(endedAnswer('idle', true, '/login?next=%2F').headers.location, '/login?next=%2F&ended=idle');
  t.is(endedAnswer('revoked', true, 'https://example.com/bye').headers.location, 'https://example.com/bye?ended=revoked');
});

test('API clients of an ended session get 401 JSON with the reason', (t) => {
  const answer = endedAnswer('unknown', false, '/');
  t.is(answer.status, 401);
  t.regex(answer.headers['content-type']!, /^application\/json/);
  t.deepEqual(JSON.parse(answer.body), { error: 'session_ended', reason: 'unknown' });
});

test('a store failure under fail-closed is 503, JSON or HTML', (t) => {
  const api = storeUnavailableAnswer(false);
  t.is(api.status, 503);
  t.deepEqual(JSON.parse(api.body), { error: 'session_store_unavailable' });
  t.truthy(api.headers['retry-after']);
  const html = storeUnavailableAnswer(true);
  t.is(html.status, 503);
  t.regex(html.headers['content-type']!, /^text\/html/);
  t.regex(html.body, /try again/);
});
