/**
 * The conformance suite every session store passes, written once and run against each
 * store (the memory store, the generic Keyv store, the Redis store, yours). Like
 * `@keyv/test-suite`: call it from an ava test file with a factory for your store.
 *
 * It checks the rules of `docs/storage-rules.md` (R1 … R20): scenario tests, a
 * model-based property test ({@link storeModel}: random operations against a plain model
 * of the rules, including one id per principal, the tombstone trim order and cap,
 * `deviceId: ''`, and `idleFirst({ idleFor: 0 })` under clock skew) and a lost-update
 * check ({@link lostUpdates}: every admitted session is active or a tombstone with its
 * reason). `storeConformance` registers all of them.
 *
 * @example
 * ```ts
 * import test from 'ava';
 * import { storeConformance } from '@session-policy/store-test-suite';
 * storeConformance(test, { name: 'my-store', createStore: () => new MyStore() });
 * ```
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto';
import type { TestFn } from 'ava';
import { lostUpdates } from './lost-updates.js';
import { storeModel } from './model.js';
import {
  idleFirst,
  oldestCreated,
  sameDeviceFirst,
  SessionRegistry,
  rejectUnknownOptions,
  type SessionRegistryOptions,
  type SessionStore,
} from '@session-policy/core';

/** Options of {@link storeConformance}. @public */
export interface StoreConformanceOptions {
  /** The store's name, prefixed to every test title. */
  readonly name: string;
  /**
   * Makes a store. Each test makes its own and closes it; stores may share a backend
   * (every test uses principals of its own).
   */
  readonly createStore: () => SessionStore | Promise<SessionStore>;
  /** Runs of the model-based property test ({@link storeModel}). Default 100. */
  readonly modelRuns?: number;
}

export { checkAgainstModel, storeModel, type StoreModelOptions } from './model.js';
export { lostUpdates, type LostUpdatesOptions } from './lost-updates.js';

const MINUTE = 60_000;

async function activeIdsOf(registry: SessionRegistry, principal: unknown): Promise<string[]> {
  return (await registry.list(principal)).map((s) => s.sessionId).sort();
}

/**
 * Registers the conformance tests with ava.
 *
 * @param test - ava's `test` function (`import test from 'ava'`).
 * @param options - see {@link StoreConformanceOptions}.
 * @public
 */
export function storeConformance(test: TestFn, options: StoreConformanceOptions): void {
  rejectUnknownOptions(options, Object.keys({ name: true, createStore: true, modelRuns: true } satisfies Record<keyof StoreConformanceOptions, true>), 'storeConformance()');
  const { name, createStore } = options;
  storeModel(test, { name, createStore, ...(options.modelRuns === undefined ? {} : { numRuns: options.modelRuns }) });

  async function setup(extra: SessionRegistryOptions = {}) {
    let now = Date.parse('2026-03-01T08:00:00Z');
    const store = await createStore();
    const registry = new SessionRegistry({ store, idleTimeout: 30 * MINUTE, clock: () => now, ...extra });
    const user = `user-${randomUUID()}`;
    return {
      registry,
      user,
      advance(ms: number) {
        now += ms;
      },
      login(sessionId: string, more: { deviceId?: string; principal?: unknown } = {}) {
        return registry.admit({ principal: more.principal ?? user, sessionId, ...(more.deviceId ? { deviceId: more.deviceId } : {}) });
      },
      async status(sessionId: string, principal: unknown = user) {
        const result = await registry.check(sessionId, principal);
        return result.status === 'ended' ? `ended:${result.reason}` : result.status;
      },
      async activeIds(principal: unknown = user) {
        return (await registry.list(principal)).map((s) => s.sessionId).sort();
      },
    };
  }

  test(`${name}: admits a login, checks it active and lists it with its details`, async (t) => {
    const { registry, user, login, status } = await setup();
    const result = await registry.admit({ principal: user, sessionId: 's1', deviceId: 'laptop', userAgent: 'UA', ip: '127.0.0.1', attributes: { plan: 'pro' } });
    t.true(result.admitted);
    t.is(await status('s1'), 'active');
    const [session] = await registry.list(user);
    t.like(session, { sessionId: 's1', principalKey: user, deviceId: 'laptop', userAgent: 'UA', ip: '127.0.0.1', state: 'active' });
    t.deepEqual(session?.attributes, { plan: 'pro' });
    t.is(await status('nope'), 'unknown');
    void login;
    await registry.close();
  });

  test(`${name}: two principal objects with the same id are one principal (seed 004)`, async (t) => {
    const { registry, status } = await setup({ maxSessions: 1 });
    const id = `member-${randomUUID()}`;
    class Member {
      constructor(readonly id: string, readonly name: string) {}
    }
    t.true((await registry.admit({ principal: new Member(id, 'Kim'), sessionId: 'first' })).admitted);
    const second = await registry.admit({ principal: new Member(id, 'Kim (again)'), sessionId: 'second' });
    t.true(second.admitted);
    t.deepEqual(second.admitted ? second.evicted.map((s) => s.sessionId) : [], ['first']);
    t.is(await status('first', id), 'ended:evicted');
    t.is(await status('second', id), 'active');
    await registry.close();
  });

  test(`${name}: over the limit, evicts the least recently seen`, async (t) => {
    const { registry, login, status, advance, activeIds } = await setup({ maxSessions: 3 });
    await login('a');
    advance(MINUTE);
    await login('b');
    advance(MINUTE);
    await login('c');
    advance(2 * MINUTE);
    t.is(await status('a'), 'active'); // touched: now the most recently seen
    advance(MINUTE);
    const d = await login('d');
    t.deepEqual(d.admitted ? d.evicted.map((s) => s.sessionId) : 'refused', ['b']);
    t.is(await status('b'), 'ended:evicted');
    t.deepEqual(await activeIds(), ['a', 'c', 'd']);
    const e = await login('e');
    t.deepEqual(e.admitted ? e.evicted.map((s) => s.sessionId) : 'refused', ['c']);
    await registry.close();
  });

  test(`${name}: evict mode evicts a holder last seen by a clock a little ahead (two processes)`, async (t) => {
    const store = await createStore();
    const ahead = new SessionRegistry({ store, maxSessions: 1, clock: () => 1_000_001 });
    const behind = new SessionRegistry({ store, maxSessions: 1, clock: () => 1_000_000 });
    const user = `skew-${randomUUID()}`;
    t.true((await ahead.admit({ principal: user, sessionId: 'first' })).admitted);
    const second = await behind.admit({ principal: user, sessionId: 'second' });
    t.true(second.admitted);
    t.is((await ahead.check('first', user)).status, 'ended');
    await ahead.close();
    await behind.close();
  });

  test(`${name}: oldest-created evicts by creation, however active`, async (t) => {
    const { registry, login, status, advance, activeIds } = await setup({ maxSessions: 2, policy: oldestCreated() });
    await login('a');
    advance(MINUTE);
    await login('b');
    advance(2 * MINUTE);
    t.is(await status('a'), 'active');
    await login('c');
    t.is(await status('a'), 'ended:evicted');
    t.deepEqual(await activeIds(), ['b', 'c']);
    await registry.close();
  });

  test(`${name}: reject mode refuses the new login, names the holders, keeps the first`, async (t) => {
    const { registry, login, status, user } = await setup({ maxSessions: 1, onLimit: 'reject' });
    const rejected: string[] = [];
    registry.on('rejected', (r) => rejected.push(r.candidate.sessionId));
    await registry.admit({ principal: user, sessionId: 'first', deviceId: 'desktop' });
    const second = await login('second', { deviceId: 'phone' });
    t.false(second.admitted);
    if (!second.admitted) {
      t.is(second.code, 'ERR_SESSION_LIMIT');
      t.is(second.limit, 1);
      t.deepEqual(second.holders.map((s) => [s.sessionId, s.deviceId]), [['first', 'desktop']]);
    }
    t.deepEqual(rejected, ['second']);
    t.is(await status('first'), 'active');
    t.is(await status('second'), 'unknown');
    await registry.close();
  });

  test(`${name}: same-device-first replaces the device's session without counting it`, async (t) => {
    const { registry, login, status, activeIds } = await setup({ maxSessions: 2, policy: sameDeviceFirst() });
    await login('a1', { deviceId: 'A' });
    await login('b1', { deviceId: 'B' });
    const again = await login('a2', { deviceId: 'A' });
    t.true(again.admitted);
    if (again.admitted) {
      t.deepEqual(again.replaced.map((s) => s.sessionId), ['a1']);
      t.deepEqual(again.evicted, []);
    }
    t.is(await status('a1'), 'ended:replaced');
    t.deepEqual(await activeIds(), ['a2', 'b1']);
    await registry.close();
  });

  test(`${name}: idle-first evicts only idle sessions and refuses when all are in use`, async (t) => {
    const { registry, login, status, advance } = await setup({ maxSessions: 1, policy: idleFirst({ idleFor: 5 * MINUTE }) });
    await login('user-device');
    advance(MINUTE);
    const attacker = await login('attacker');
    t.false(attacker.admitted);
    t.is(await status('user-device'), 'active');
    advance(6 * MINUTE);
    const later = await login('attacker-2');
    t.true(later.admitted);
    t.is(await status('user-device'), 'ended:evicted');
    await registry.close();
  });

  test(`${name}: re-admitting an active session id is a no-op, an ended one is refused`, async (t) => {
    const { registry, login, status, user } = await setup({ maxSessions: 1 });
    await login('s1');
    const again = await login('s1');
    t.true(again.admitted && again.alreadyActive && again.evicted.length === 0);
    t.is(await status('s1'), 'active');
    await registry.end('s1', user);
    const revived = await login('s1');
    t.false(revived.admitted);
    t.is(revived.admitted ? undefined : revived.code, 'ERR_SESSION_ENDED');
    t.is(await status('s1'), 'ended:logout');
    await registry.close();
  });

  test(`${name}: idle and absolute timeouts end sessions with their reason`, async (t) => {
    const { registry, login, status, advance } = await setup({ idleTimeout: 10 * MINUTE, absoluteTimeout: 60 * MINUTE });
    await login('idle');
    await login('busy');
    for (let i = 0; i < 6; i++) {
      advance(9 * MINUTE);
      t.is(await status('busy'), 'active');
    }
    t.is(await status('idle'), 'ended:idle');
    advance(9 * MINUTE);
    t.is(await status('busy'), 'ended:absolute');
    await registry.close();
  });

  test(`${name}: every expiry is reported once, including those a check finds on the way`, async (t) => {
    const { registry, login, status, advance, user } = await setup({ idleTimeout: 15 * MINUTE });
    const expired: string[] = [];
    registry.on('expired', (s) => expired.push(`${s.sessionId}:${s.endReason}`));
    await login('old');
    advance(10 * MINUTE);
    await login('live');
    advance(6 * MINUTE);
    t.is(await status('live'), 'active');
    await registry.list(user);
    await registry.sweep();
    t.deepEqual(expired, ['old:idle']);
    await registry.close();
  });

  test(`${name}: expired sessions never hold a slot, even unswept, even in reject mode (seed 002)`, async (t) => {
    const { registry, login, advance } = await setup({ maxSessions: 2, onLimit: 'reject', idleTimeout: 10 * MINUTE });
    const expired: string[] = [];
    registry.on('expired', (s) => expired.push(`${s.sessionId}:${s.endReason}`));
    await login('zombie-1');
    await login('zombie-2');
    t.false((await login('too-many')).admitted);
    advance(11 * MINUTE);
    t.true((await login('fresh')).admitted);
    t.deepEqual(expired.sort(), ['zombie-1:idle', 'zombie-2:idle']);
    await registry.close();
  });

  test(`${name}: an id whose tombstone passed retention (not yet swept) is admitted again and kept (R1, R13)`, async (t) => {
    const { registry, login, status, advance, user } = await setup({ maxSessions: 1, tombstoneRetention: 30 * MINUTE, idleTimeout: 10 * MINUTE });
    await login('s6');
    await login('s0'); // evicts s6
    advance(31 * MINUTE); // s6's tombstone is forgotten (no sweep ran); s0 is idle
    const again = await login('s6');
    t.true(again.admitted);
    // Kept by the store itself, not only answered from a cache: listed, with the old
    // incarnation gone, and active for a check.
    const listed = (await registry.list(user, { includeEnded: true })).map((s) => `${s.sessionId}:${s.state === 'active' ? 'active' : s.endReason}`).sort();
    t.deepEqual(listed, ['s0:idle', 's6:active']);
    t.is(await status('s6'), 'active');
    await registry.close();
  });

  test(`${name}: an active id that expires during its own re-admission is refused, even when the cap trims its tombstone (R3 before R14)`, async (t) => {
    const { registry, login, advance, user } = await setup({ maxSessions: 2, maxTombstones: 0, idleTimeout: 10 * MINUTE });
    const expired: string[] = [];
    registry.on('expired', (s) => expired.push(`${s.sessionId}:${s.endReason}`));
    await login('s1');
    advance(11 * MINUTE); // s1 is idle, not yet swept or listed
    const again = await login('s1');
    t.false(again.admitted);
    t.is(again.admitted ? undefined : again.code, 'ERR_SESSION_ENDED');
    t.deepEqual(expired, ['s1:idle'], 'the expiry is reported once');
    // The cap keeps no tombstone: the id is forgotten after the refusal, and a later login
    // with it is a new session that the store keeps.
    t.deepEqual(await registry.list(user, { includeEnded: true }), []);
    t.true((await login('s1')).admitted);
    t.deepEqual((await registry.list(user, { includeEnded: true })).map((s) => `${s.sessionId}:${s.state}`), ['s1:active']);
    t.deepEqual(expired, ['s1:idle']);
    await registry.close();
  });

  test(`${name}: an ended session tells its reason until retention passes, then is forgotten`, async (t) => {
    const { registry, login, status, advance } = await setup({ maxSessions: 1, tombstoneRetention: 60 * MINUTE, idleTimeout: Infinity });
    await login('old');
    await login('new');
    advance(59 * MINUTE);
    t.is(await status('old'), 'ended:evicted');
    advance(2 * MINUTE);
    t.is(await status('old'), 'unknown');
    t.is(await status('new'), 'active');
    await registry.close();
  });

  test(`${name}: no revival: checks and touches after an end keep it ended`, async (t) => {
    const { registry, login, status, advance, user } = await setup();
    await login('s1');
    advance(5 * MINUTE);
    const [, ended] = await Promise.all([registry.check('s1', user), registry.end('s1', user, 'revoked')]);
    t.is(ended?.endReason, 'revoked');
    for (let i = 0; i < 3; i++) {
      advance(2 * MINUTE);
      t.is(await status('s1'), 'ended:revoked');
    }
    t.deepEqual(await registry.list(user), []);
    await registry.close();
  });

  test(`${name}: end, end all, and end all but the current`, async (t) => {
    const { registry, login, status, user, activeIds } = await setup();
    await login('a');
    await login('b');
    await login('c');
    t.is((await registry.end('a', user))?.sessionId, 'a');
    t.is(await registry.end('a', user), undefined);
    t.is(await status('a'), 'ended:logout');
    const others = await registry.endAll(user, { except: 'c' });
    t.deepEqual(others.map((s) => s.sessionId), ['b']);
    t.deepEqual(await activeIds(), ['c']);
    const all = await registry.endAll(user, { reason: 'revoked' });
    t.deepEqual(all.map((s) => s.sessionId), ['c']);
    t.is(await status('c'), 'ended:revoked');
    const listed = await registry.list(user, { includeEnded: true });
    t.deepEqual(listed.map((s) => `${s.sessionId}:${s.endReason}`).sort(), ['a:logout', 'b:logout', 'c:revoked']);
    await registry.close();
  });

  test(`${name}: a principal cannot end or see another principal's session`, async (t) => {
    const { registry, login, status, user } = await setup();
    const other = `other-${randomUUID()}`;
    await login('mine');
    await registry.admit({ principal: other, sessionId: 'theirs' });
    t.is(await registry.end('theirs', user), undefined);
    t.is(await status('theirs', other), 'active');
    t.is(await status('theirs', user), 'unknown');
    t.deepEqual((await registry.list(user)).map((s) => s.sessionId), ['mine']);
    await registry.close();
  });

  test(`${name}: sweep ends expired sessions once and reports them`, async (t) => {
    const { registry, login, advance, user } = await setup({ idleTimeout: 10 * MINUTE });
    await login('a');
    await login('b');
    advance(5 * MINUTE);
    t.is(await registry.sweep(), 0);
    advance(6 * MINUTE);
    t.is(await registry.sweep(), 2);
    t.is(await registry.sweep(), 0);
    const listed = await registry.list(user, { includeEnded: true });
    t.deepEqual(listed.map((s) => `${s.sessionId}:${s.endReason}`).sort(), ['a:idle', 'b:idle']);
    await registry.close();
  });

  test(`${name}: default options evict the device used longest ago, to the second (R9, R11)`, async (t) => {
    // The scenario: A, B sign in; B is used, then A a little later; C's login evicts B.
    for (const gap of [2_000, 10_000]) {
      const { registry, login, status, advance, user } = await setup({ maxSessions: 2 });
      await login('A');
      advance(1_000);
      await login('B');
      advance(1_000);
      t.is(await status('B'), 'active');
      advance(gap);
      t.is(await status('A'), 'active');
      advance(500);
      const c = await login('C');
      t.deepEqual(c.admitted ? c.evicted.map((s) => s.sessionId) : 'refused', ['B'], `gap ${gap} ms`);
      t.is(await status('B'), 'ended:evicted');
      // The devices page shows the last request of each, exactly.
      const seen = Object.fromEntries((await registry.list(user)).map((s) => [s.sessionId, s.lastSeenAt - s.createdAt]));
      t.deepEqual(seen, { A: 2_000 + gap, C: 0 });
      await registry.close();
    }
  });

  test(`${name}: touch keeps the maximum, ignores unknown and ended sessions, never revives (R11, R12)`, async (t) => {
    const { registry, login, status, user } = await setup();
    const { store } = registry;
    const context = { now: registry.now(), timeouts: { idle: 30 * MINUTE, absolute: Infinity, retention: 24 * 60 * MINUTE, maxTombstones: 32 } };
    await login('a');
    await login('b');
    const created = (await registry.list(user))[0]!.createdAt;
    await registry.end('b', user);
    await store.touch(
      [
        { principalKey: user, sessionId: 'a', seenAt: created + 5_000 },
        { principalKey: user, sessionId: 'a', seenAt: created + 3_000 },
        { principalKey: user, sessionId: 'b', seenAt: created + 9_000 },
        { principalKey: user, sessionId: 'nope', seenAt: created + 9_000 },
        { principalKey: `nobody-${randomUUID()}`, sessionId: 'a', seenAt: created + 9_000 },
      ],
      context,
    );
    await store.touch([{ principalKey: user, sessionId: 'a', seenAt: created + 1_000 }], context);
    const all = await registry.list(user, { includeEnded: true });
    t.is(all.find((s) => s.sessionId === 'a')?.lastSeenAt, created + 5_000, 'the maximum wins, a late flush never moves time back');
    t.like(all.find((s) => s.sessionId === 'b'), { state: 'ended', endReason: 'logout', lastSeenAt: created });
    t.is(await status('b'), 'ended:logout');
    t.deepEqual(all.map((s) => s.sessionId).sort(), ['a', 'b']);
    await store.touch([], context);
    await registry.close();
  });

  test(`${name}: a session seen since the last flush does not expire as idle (R7)`, async (t) => {
    const { registry, login, status, advance, user } = await setup({ idleTimeout: 10 * MINUTE });
    await login('a');
    await login('b');
    advance(6 * MINUTE);
    t.is(await status('a'), 'active');
    advance(6 * MINUTE);
    // b's check ends b; a, seen 6 minutes ago in this process, stays.
    t.is(await status('b'), 'ended:idle');
    t.is(await status('a'), 'active');
    t.deepEqual(await activeIdsOf(registry, user), ['a']);
    advance(6 * MINUTE);
    t.is(await registry.sweep(), 0);
    advance(5 * MINUTE);
    t.is(await registry.sweep(), 1);
    await registry.close();
  });

  test(`${name}: concurrent logins of one principal with max 1 leave exactly one active`, async (t) => {
    const { registry, login, activeIds } = await setup({ maxSessions: 1 });
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => login(`c${i}`)));
    t.true(results.every((r) => r.admitted));
    t.is((await activeIds()).length, 1);
    await registry.close();
  });

  test(`${name}: no lost updates: every admitted session is active or a tombstone with its reason (R1)`, async (t) => {
    t.deepEqual(await lostUpdates({ createStore }), []);
  });

  test(`${name}: concurrent logins in reject mode admit exactly the limit`, async (t) => {
    const { registry, login, activeIds } = await setup({ maxSessions: 3, onLimit: 'reject' });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => login(`r${i}`)));
    t.is(results.filter((r) => r.admitted).length, 3);
    t.true(results.filter((r) => !r.admitted).every((r) => !r.admitted && r.code === 'ERR_SESSION_LIMIT'));
    t.is((await activeIds()).length, 3);
    await registry.close();
  });

  test(`${name}: tombstones per principal are bounded, exactly (R14)`, async (t) => {
    const { registry, login, user, advance } = await setup({ maxSessions: 1, maxTombstones: 4 });
    for (let i = 0; i < 12; i++) {
      await login(`s${i}`);
      advance(1_000);
    }
    const all = await registry.list(user, { includeEnded: true });
    t.deepEqual(all.filter((s) => s.state === 'ended').map((s) => s.sessionId), ['s7', 's8', 's9', 's10'], 'the newest 4 tombstones');
    t.deepEqual(all.filter((s) => s.state === 'active').map((s) => s.sessionId), ['s11']);
    await registry.close();
  });

  test(`${name}: tombstones ended together are trimmed by creation, then by session id (R14)`, async (t) => {
    const { registry, login, user, advance } = await setup({ maxTombstones: 1 });
    await login('x');
    advance(1_000);
    await login('b');
    await login('a');
    advance(1_000);
    t.is((await registry.endAll(user)).length, 3);
    const all = await registry.list(user, { includeEnded: true });
    t.deepEqual(all.map((s) => `${s.sessionId}:${s.endReason}`), ['b:logout']);
    await registry.close();
  });

  test(`${name}: a session id belongs to one principal at a time (R4)`, async (t) => {
    const { registry, login, status, user } = await setup();
    const other = `other-${randomUUID()}`;
    const ended: string[] = [];
    registry.on('ended', (s) => ended.push(`${s.principalKey === user ? 'user' : 'other'}/${s.sessionId}:${s.endReason}`));
    await login('shared');
    const moved = await registry.admit({ principal: other, sessionId: 'shared' });
    t.true(moved.admitted);
    t.deepEqual(moved.admitted ? moved.replaced.map((s) => [s.principalKey, s.sessionId, s.endReason]) : [], [[user, 'shared', 'replaced']]);
    t.is(await status('shared', user), 'ended:replaced');
    t.is(await status('shared', other), 'active');
    t.deepEqual(ended, ['user/shared:replaced']);
    // Refused logins move nothing.
    const { registry: strict, status: strictStatus, user: first } = await setup({ maxSessions: 1, onLimit: 'reject' });
    const second = `second-${randomUUID()}`;
    await strict.admit({ principal: first, sessionId: 'x' });
    await strict.admit({ principal: second, sessionId: 'y' });
    t.false((await strict.admit({ principal: second, sessionId: 'x' })).admitted);
    t.is(await strictStatus('x', first), 'active');
    await strict.close();
    await registry.close();
  });

  test(`${name}: bounds: user agent truncated, attributes capped, deviceId '' is none (R15, R16, R17)`, async (t) => {
    const { registry, user } = await setup({ maxAttributesBytes: 1024 });
    await registry.admit({ principal: user, sessionId: 'long-ua', userAgent: 'U'.repeat(5000), deviceId: '' });
    const [session] = await registry.list(user);
    t.is(session?.userAgent?.length, 512);
    t.false(session !== undefined && 'deviceId' in session, "deviceId '' is stored as absent");
    const error = await t.throwsAsync(registry.admit({ principal: user, sessionId: 'fat', attributes: { blob: 'x'.repeat(2000) } }), {
      code: 'ERR_INVALID_OPTION',
    } as never);
    t.is((error as { option?: string } | undefined)?.option, 'attributes');
    t.is((await registry.check('fat', user)).status, 'unknown');
    t.true((await registry.admit({ principal: user, sessionId: 'fits', attributes: { blob: 'x'.repeat(900) } })).admitted);
    await registry.close();
  });

  test(`${name}: hostile keys are plain data (no prototype pollution)`, async (t) => {
    const { registry, status } = await setup();
    for (const key of ['__proto__', 'constructor', 'prototype', 'a}{b', 'hasOwnProperty']) {
      t.true((await registry.admit({ principal: key, sessionId: '__proto__' })).admitted, key);
      t.is(await status('__proto__', key), 'active');
      t.is(await status('constructor', key), 'unknown');
    }
    t.is(({} as Record<string, unknown>).sessionId, undefined);
    t.is(Object.getPrototypeOf({}), Object.prototype);
    await registry.close();
  });
}
