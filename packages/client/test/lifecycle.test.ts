import test from 'ava';
import { Lifecycle, TRANSITIONS, type SessionState, type StateChange } from '@session-policy/client';

test('the lifecycle starts disconnected and reports every change', (t) => {
  const changes: StateChange[] = [];
  const lifecycle = new Lifecycle('alice', (change) => changes.push(change));
  t.is(lifecycle.state, 'disconnected');
  lifecycle.to('authenticating');
  lifecycle.to('authenticating');
  lifecycle.to('connected');
  t.is(lifecycle.state, 'connected');
  t.deepEqual(changes, [
    { key: 'alice', from: 'disconnected', to: 'authenticating' },
    { key: 'alice', from: 'authenticating', to: 'connected' },
  ]);
});

test('transitions outside the table are refused and change nothing', (t) => {
  const states = Object.keys(TRANSITIONS) as SessionState[];
  for (const from of states) {
    for (const to of states) {
      if (from === to) continue;
      const lifecycle = new Lifecycle('k', () => undefined);
      // Walk to `from` along allowed transitions.
      const path: Record<SessionState, SessionState[]> = {
        disconnected: [],
        authenticating: ['authenticating'],
        connected: ['authenticating', 'connected'],
        executing: ['authenticating', 'connected', 'executing'],
        reconnecting: ['authenticating', 'connected', 'reconnecting'],
      };
      for (const step of path[from]) lifecycle.to(step);
      if (TRANSITIONS[from].includes(to)) {
        lifecycle.to(to);
        t.is(lifecycle.state, to);
      } else {
        t.throws(() => lifecycle.to(to), { message: `Invalid session state transition ${from} → ${to}` });
        t.is(lifecycle.state, from);
      }
    }
  }
});
