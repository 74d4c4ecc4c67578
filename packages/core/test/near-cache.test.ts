import test from 'ava';
import type { SessionInfo } from '@session-policy/core';
import { NearCache, type Timeouts } from '@session-policy/core/store';

const TIMEOUTS: Timeouts = { idle: 1000, absolute: Infinity, retention: 0, maxTombstones: 10 };

function session(principalKey: string, sessionId: string, lastSeenAt = 0): SessionInfo {
  return { principalKey, sessionId, createdAt: 0, lastSeenAt, state: 'active' };
}

test('a remembered answer is handed back while the session has passed no timeout', (t) => {
  const cache = new NearCache({ ttl: 60_000, max: 10 });
  const answer = { status: 'active' as const, session: session('p', 's') };
  cache.remember(answer, cache.epoch);
  t.is(cache.get('p', 's', TIMEOUTS, 999), answer);
  t.is(cache.get('p', 's', TIMEOUTS, 1000), undefined, 'idle at the request time: the backend decides');
  t.is(cache.get('p', 'other', TIMEOUTS, 0), undefined);
  t.is(cache.get('other', 's', TIMEOUTS, 0), undefined, 'a hit names the same principal');
});

test('a session id moved to another principal (R4): each principal sees only its own answer', (t) => {
  const cache = new NearCache({ ttl: 60_000, max: 10 });
  cache.remember({ status: 'active', session: session('a', 's') }, cache.epoch);
  cache.remember({ status: 'active', session: session('b', 's') }, cache.epoch);
  t.is(cache.get('a', 's', TIMEOUTS, 0), undefined, "the id is b's now");
  t.is(cache.get('b', 's', TIMEOUTS, 0)?.session.principalKey, 'b');
  cache.forget([session('a', 's')]);
  t.not(cache.get('b', 's', TIMEOUTS, 0), undefined, "forgetting a's session keeps b's");
  cache.forget([session('b', 's')]);
  t.is(cache.get('b', 's', TIMEOUTS, 0), undefined);
});

test('an answer read before the epoch moved is not cached', (t) => {
  const cache = new NearCache({ ttl: 60_000, max: 10 });
  const before = cache.epoch;
  cache.bump();
  cache.remember({ status: 'active', session: session('p', 's') }, before);
  t.is(cache.get('p', 's', TIMEOUTS, 0), undefined);
  cache.remember({ status: 'active', session: session('p', 's') }, cache.epoch);
  t.not(cache.get('p', 's', TIMEOUTS, 0), undefined);
});

test('forget drops sessions of several lists; invalidate drops all and moves the epoch', (t) => {
  const cache = new NearCache({ ttl: 60_000, max: 10 });
  for (const id of ['a', 'b', 'c', 'd']) cache.remember({ status: 'active', session: session('p', id) }, cache.epoch);
  cache.forget([session('p', 'a')], [], [session('p', 'b'), session('p', 'c')]);
  t.deepEqual(
    ['a', 'b', 'c', 'd'].map((id) => cache.get('p', id, TIMEOUTS, 0) !== undefined),
    [false, false, false, true],
  );
  const epoch = cache.epoch;
  cache.invalidate();
  t.is(cache.get('p', 'd', TIMEOUTS, 0), undefined);
  t.is(cache.epoch, epoch + 1);
});

test('bounded by max: the least recently used entry goes', (t) => {
  const cache = new NearCache({ ttl: 60_000, max: 2 });
  for (const id of ['a', 'b', 'c']) cache.remember({ status: 'active', session: session('p', id) }, cache.epoch);
  t.is(cache.get('p', 'a', TIMEOUTS, 0), undefined);
  t.not(cache.get('p', 'c', TIMEOUTS, 0), undefined);
});
