import { createMemoryStore, type SessionStore } from '@session-policy/core';

/**
 * The embedded memory store behind a switch: while `fail(true)` holds, every operation
 * that reaches the backend throws, as a store whose server went away would. With `peek`,
 * the store also answers `peek` from memory (unswitched), as a store with a near cache
 * does; without it, every request goes to `check`.
 */
export function switchable(options: { peek?: boolean } = {}): { store: SessionStore; fail(on: boolean): void } {
  const base = createMemoryStore();
  let down = false;
  const guard = () => {
    if (down) throw new Error('backend down');
  };
  const store: SessionStore = {
    name: 'switchable',
    admit: async (r) => (guard(), base.admit(r)),
    check: async (r) => (guard(), base.check(r)),
    touch: async (t, c) => (guard(), base.touch(t, c)),
    list: async (r) => (guard(), base.list(r)),
    end: async (r) => (guard(), base.end(r)),
    endAll: async (r) => (guard(), base.endAll(r)),
    sweep: async (r) => (guard(), base.sweep(r)),
    close: () => base.close(),
    ...(options.peek ? { peek: (r: Parameters<NonNullable<SessionStore['peek']>>[0]) => base.peek!(r) } : {}),
  };
  return { store, fail: (on) => (down = on) };
}
