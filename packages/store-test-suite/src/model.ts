// The model-based property test: random sequences of admit / check / end / endAll /
// sweep with random clock jumps, run through the real registry on the store under test
// and through a deliberately simple model of docs/storage-rules.md. Any divergence
// fails with a shrunk counterexample. Covers the rules that drifted between
// implementations: deviceId '' (R15), the tombstone trim order and its exactness (R14),
// idleFirst({ idleFor: 0 }) under clock skew (R10), and one id per principal (R4); the
// clock often lands on the edges of a deadline (a millisecond before, at, after).
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  END_REASONS,
  idleFirst,
  leastRecentlySeen,
  oldestCreated,
  sameDeviceFirst,
  SessionRegistry,
  rejectUnknownOptions,
  type EvictionPolicy,
  type SessionStore,
} from '@session-policy/core';

const MIN = 60_000;
const IDLE = 10 * MIN;
const ABSOLUTE = 45 * MIN;

type PolicyName = 'least-recently-seen' | 'oldest-created' | 'same-device-first' | 'idle-first-0' | 'idle-first-5m';

interface Config {
  readonly max: number;
  readonly reject: boolean;
  readonly policy: PolicyName;
  readonly maxTombstones: number;
  readonly retention: number;
  /** How far ahead the second process's clock runs (it only admits). */
  readonly skew: number;
}

type Op =
  | { kind: 'admit'; p: number; sid: string; device: string | undefined; ahead: boolean }
  | { kind: 'check'; p: number; sid: string }
  | { kind: 'end'; p: number; sid: string }
  | { kind: 'endAll'; p: number; except: string | undefined }
  | { kind: 'sweep' }
  | { kind: 'advance'; ms: number }
  /** Moves the clock to the next deadline (a timeout or a retention) plus `offset`. */
  | { kind: 'toDeadline'; offset: number };

interface ModelSession {
  readonly sid: string;
  readonly created: number;
  seen: number;
  readonly device: string | undefined;
  ended?: string;
  endedAt?: number;
}

const PRINCIPALS = 2;
const sid = fc.constantFrom('s0', 's1', 's2', 's3', 's4', 's5', 's6');
const principal = fc.integer({ min: 0, max: PRINCIPALS - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('admit' as const),
      p: principal,
      sid,
      device: fc.constantFrom('d0', 'd1', '', undefined),
      ahead: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('check' as const), p: principal, sid }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('end' as const), p: principal, sid }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('endAll' as const), p: principal, except: fc.option(sid, { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.oneof(fc.constantFrom(0, 1, 500, 999), fc.integer({ min: 0, max: 12 * MIN })),
    }),
  },
  // The edges, where the faults were: just before, at and after a deadline, and where the
  // process ahead (by 1 ms or 1.5 s) reaches it.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('toDeadline' as const), offset: fc.constantFrom(-1_500, -1, 0, 1) }) },
);
const config: fc.Arbitrary<Config> = fc.record({
  max: fc.integer({ min: 1, max: 3 }),
  reject: fc.boolean(),
  policy: fc.constantFrom<PolicyName>('least-recently-seen', 'oldest-created', 'same-device-first', 'idle-first-0', 'idle-first-5m'),
  maxTombstones: fc.constantFrom(0, 1, 2, 3, 1000),
  retention: fc.constantFrom(30 * MIN, 24 * 60 * MIN),
  skew: fc.constantFrom(0, 0, 1, 1_500),
});

function policyOf(name: PolicyName): EvictionPolicy {
  switch (name) {
    case 'least-recently-seen':
      return leastRecentlySeen();
    case 'oldest-created':
      return oldestCreated();
    case 'same-device-first':
      return sameDeviceFirst();
    case 'idle-first-0':
      return idleFirst({ idleFor: 0 });
    case 'idle-first-5m':
      return idleFirst({ idleFor: 5 * MIN });
  }
}

const bySeen = (a: ModelSession, b: ModelSession) => a.seen - b.seen || a.created - b.created || cmp(a.sid, b.sid);
const byCreated = (a: ModelSession, b: ModelSession) => a.created - b.created || a.seen - b.seen || cmp(a.sid, b.sid);
const byEnded = (a: ModelSession, b: ModelSession) => a.endedAt! - b.endedAt! || a.created - b.created || cmp(a.sid, b.sid);
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The rules of docs/storage-rules.md, written as plainly as possible. */
class Model {
  readonly sessions: ModelSession[][] = Array.from({ length: PRINCIPALS }, () => []);
  constructor(readonly c: Config) {}

  /**
   * R7, R8, R13: expire, forget; R14: trim. Every principal, or only `only` (an operation
   * on one principal by a process whose clock runs ahead decides that principal's expiry
   * at its time; the others are decided later, at the time of whoever reads them).
   */
  refresh(now: number, only?: number, trim = true): void {
    for (let p = 0; p < PRINCIPALS; p++) {
      if (only !== undefined && p !== only) continue;
      for (const s of this.sessions[p]!) {
        if (s.ended) continue;
        if (now >= s.created + ABSOLUTE) this.#end(s, 'absolute', now);
        else if (now >= s.seen + IDLE) this.#end(s, 'idle', now);
      }
      this.sessions[p] = this.sessions[p]!.filter((s) => !s.ended || now < s.endedAt! + this.c.retention);
      if (trim) this.trim(p);
    }
  }

  /**
   * Whether a timeout or a retention of any session ends in `(from, to]`: a process whose
   * clock reads `to` would pass it while one reading `from` has not (the rules leave that
   * window to the store: see "Clock skew" in docs/storage-rules.md).
   */
  passesDeadline(from: number, to: number): boolean {
    return this.#deadlines().some((at) => from < at && at <= to);
  }

  /** The first deadline after `now`, if any. */
  nextDeadline(now: number): number | undefined {
    const later = this.#deadlines().filter((at) => at > now);
    return later.length ? Math.min(...later) : undefined;
  }

  #deadlines(): number[] {
    return this.sessions.flatMap((mine) => mine.map((s) => (s.ended ? s.endedAt! + this.c.retention : Math.min(s.created + ABSOLUTE, s.seen + IDLE))));
  }

  trim(p: number): void {
    const tombstones = this.sessions[p]!.filter((s) => s.ended).sort(byEnded);
    const drop = new Set(tombstones.slice(0, Math.max(0, tombstones.length - this.c.maxTombstones)));
    this.sessions[p] = this.sessions[p]!.filter((s) => !drop.has(s));
  }

  /** A refused admission: R14 still applies after it. */
  #refused(p: number, code: string): { admitted: false; evicted: string[]; replaced: string[]; code: string } {
    this.trim(p);
    return { admitted: false, evicted: [], replaced: [], code };
  }

  #end(s: ModelSession, reason: string, now: number): void {
    s.ended = reason;
    s.endedAt = now;
  }

  admit(p: number, id: string, device: string | undefined, now: number): { admitted: boolean; evicted: string[]; replaced: string[]; code?: string } {
    // R3 before this operation's R14: a tombstone made or trimmed now still refuses.
    this.refresh(now, p, false);
    const existing = this.sessions[p]!.find((s) => s.sid === id);
    if (existing) {
      return existing.ended ? this.#refused(p, 'ERR_SESSION_ENDED') : (this.trim(p), { admitted: true, evicted: [], replaced: [] });
    }
    const mine = this.sessions[p]!;
    const live = mine.filter((s) => !s.ended);
    const dev = device === '' ? undefined : device; // R15
    const sameDevice = this.c.policy === 'same-device-first' && dev !== undefined ? live.filter((s) => s.device === dev) : [];
    const others = live.filter((s) => !sameDevice.includes(s));
    const excess = others.length + 1 - this.c.max;
    let victims: ModelSession[] = [];
    if (excess > 0) {
      if (this.c.reject) return this.#refused(p, 'ERR_SESSION_LIMIT');
      let ranked: ModelSession[];
      if (this.c.policy === 'oldest-created') ranked = [...others].sort(byCreated);
      else if (this.c.policy === 'idle-first-5m') ranked = others.filter((s) => now - s.seen >= 5 * MIN).sort(bySeen);
      else ranked = [...others].sort(bySeen); // idle-first-0: every live session, whatever the clocks (R10)
      if (ranked.length < excess) return this.#refused(p, 'ERR_SESSION_LIMIT');
      victims = ranked.slice(0, excess);
    }
    const replaced = sameDevice.map((s) => `${p}/${s.sid}`);
    for (const s of sameDevice) this.#end(s, 'replaced', now);
    for (const s of victims) this.#end(s, 'evicted', now);
    mine.push({ sid: id, created: now, seen: now, device: dev });
    // R4: the id leaves any other principal that has it active.
    for (let q = 0; q < PRINCIPALS; q++) {
      if (q === p) continue;
      // The store ends it there at this time, so what has expired by then ends as expired.
      if (this.sessions[q]!.some((s) => s.sid === id && !s.ended)) this.refresh(now, q);
      for (const s of this.sessions[q]!) {
        if (s.sid === id && !s.ended) {
          this.#end(s, 'replaced', now);
          replaced.push(`${q}/${s.sid}`);
        }
      }
    }
    for (let q = 0; q < PRINCIPALS; q++) this.trim(q);
    return { admitted: true, evicted: victims.map((s) => s.sid), replaced };
  }

  check(p: number, id: string, now: number): string {
    this.refresh(now);
    const s = this.sessions[p]!.find((x) => x.sid === id);
    if (!s) return 'unknown';
    if (s.ended) return `ended:${s.ended}`;
    if (now > s.seen) s.seen = now; // R11: the maximum
    return 'active';
  }

  end(p: number, which: (s: ModelSession) => boolean, reason: string, now: number): string[] {
    this.refresh(now);
    const ended: string[] = [];
    for (const s of this.sessions[p]!) {
      if (!s.ended && which(s)) {
        this.#end(s, reason, now);
        ended.push(s.sid);
      }
    }
    this.trim(p);
    return ended;
  }

  view(p: number): string {
    return this.sessions[p]!.map((s) => (s.ended ? `${s.sid}:${s.ended}/${s.created}` : `${s.sid}:active@${s.seen}/${s.created}`)).sort().join();
  }
}

// Runs replayed before the random ones: sequences that once found a fault (in a store or
// in this checker), kept so that they are tried every time.
const EXAMPLES: [Config, Op[]][] = [
  // The clock stands still: s4 is evicted, its tombstone trimmed, and s4 admitted again in
  // the same millisecond, a new session with the old one's createdAt (not a revival).
  [
    { max: 1, reject: false, policy: 'least-recently-seen', maxTombstones: 1, retention: 30 * MIN, skew: 0 },
    [
      { kind: 'admit', p: 0, sid: 's4', device: 'd0', ahead: false },
      { kind: 'admit', p: 0, sid: 's5', device: 'd0', ahead: false },
      { kind: 'admit', p: 0, sid: 's0', device: 'd0', ahead: false },
      { kind: 'admit', p: 0, sid: 's4', device: 'd0', ahead: false },
    ],
  ],
  // The process ahead logs in again at the moment another tombstone's retention passes by
  // its clock but not by the other process's: the embedded and Keyv stores forgot it, the
  // Redis and Postgres stores (which read only the candidate's tombstone) kept it, and the
  // checker expected it forgotten. Such an admission now runs on the other clock.
  [
    { max: 1, reject: false, policy: 'least-recently-seen', maxTombstones: 1000, retention: 30 * MIN, skew: 1_500 },
    [
      { kind: 'admit', p: 0, sid: 's0', device: 'd0', ahead: false },
      { kind: 'admit', p: 0, sid: 's3', device: 'd0', ahead: true },
      { kind: 'advance', ms: 522_498 },
      { kind: 'advance', ms: 1 },
      { kind: 'advance', ms: 719_983 },
      { kind: 'advance', ms: 557_518 },
      { kind: 'admit', p: 0, sid: 's3', device: 'd0', ahead: true },
    ],
  ],
];

const MODEL_NAMES = Object.keys({ createStore: true, numRuns: true, maxOperations: true, seed: true } satisfies Record<keyof StoreModelOptions, true>);

/** Options of {@link checkAgainstModel} and {@link storeModel}. @public */
export interface StoreModelOptions {
  /** Makes a store (one per run; stores may share a backend, every run uses principals of its own). */
  readonly createStore: () => SessionStore | Promise<SessionStore>;
  /** Random runs. Default 100. */
  readonly numRuns?: number;
  /** The most operations per run. Default 40. */
  readonly maxOperations?: number;
  /** fast-check's seed, to replay a failure. Default: random. */
  readonly seed?: number;
}

/**
 * Runs the model-based property test against a store and returns `undefined` when the
 * store never diverged from the model of `docs/storage-rules.md`, or fast-check's
 * report (with the shrunk counterexample) when it did.
 *
 * @param options - see {@link StoreModelOptions}.
 * @public
 */
export async function checkAgainstModel(options: StoreModelOptions): Promise<string | undefined> {
  rejectUnknownOptions(options, [...MODEL_NAMES, 'name'], 'checkAgainstModel()');
  const details = await fc.check(
    fc.asyncProperty(config, fc.array(op, { maxLength: options.maxOperations ?? 40, size: 'max' }), async (c, ops) => runOnce(options, c, ops)),
    { numRuns: options.numRuns ?? 100, examples: EXAMPLES, ...(options.seed === undefined ? {} : { seed: options.seed }) },
  );
  if (!details.failed) return undefined;
  return `${String(details.errorInstance ?? 'diverged')}\ncounterexample: ${fc.stringify(details.counterexample)}\nseed: ${details.seed}, path: ${details.counterexamplePath ?? ''}`;
}

async function runOnce(options: StoreModelOptions, c: Config, ops: readonly Op[]): Promise<boolean> {
  let now = 1_700_000_000_000;
  const store = await options.createStore();
  const common = {
    store,
    maxSessions: c.max,
    onLimit: c.reject ? ('reject' as const) : ('evict' as const),
    policy: policyOf(c.policy),
    idleTimeout: IDLE,
    absoluteTimeout: ABSOLUTE,
    tombstoneRetention: c.retention,
    maxTombstones: c.maxTombstones,
  };
  const registry = new SessionRegistry({ ...common, clock: () => now });
  // A second process sharing the store, its clock `skew` ahead; it only admits.
  const ahead = new SessionRegistry({ ...common, clock: () => now + c.skew });
  const run = randomUUID();
  const keys = Array.from({ length: PRINCIPALS }, (_, p) => `model-${p}-${run}`);
  const model = new Model(c);
  const everEnded = new Set<string>();
  const expiredEvents = new Map<string, number>();
  const onExpired = (s: { principalKey: string; sessionId: string; createdAt: number }) => {
    const key = `${s.principalKey}/${s.sessionId}/${s.createdAt}`;
    expiredEvents.set(key, (expiredEvents.get(key) ?? 0) + 1);
  };
  registry.on('expired', onExpired);
  ahead.on('expired', onExpired);
  const fail = (what: string): never => {
    throw new Error(what);
  };
  try {
    for (const o of ops) {
      switch (o.kind) {
        case 'advance':
          now += o.ms;
          break;
        case 'toDeadline': {
          const next = model.nextDeadline(now);
          if (next !== undefined) now = Math.max(now, next + o.offset);
          break;
        }
        case 'admit': {
          // The process ahead admits unless its clock would pass a deadline the other's
          // has not: what a store does then depends on what it reads (see passesDeadline).
          const via = o.ahead && c.skew > 0 && !model.passesDeadline(now, now + c.skew) ? ahead : registry;
          const at = via === ahead ? now + c.skew : now;
          const real = await via.admit({ principal: keys[o.p], sessionId: o.sid, ...(o.device === undefined ? {} : { deviceId: o.device }) });
          const expected = model.admit(o.p, o.sid, o.device, at);
          if (real.admitted !== expected.admitted) fail(`admit ${o.sid}: admitted ${real.admitted}, model ${expected.admitted}`);
          if (real.admitted) {
            // A new session (the model agreed): not the revival of an older one with the
            // same id, whose tombstone is gone; within the same millisecond it has the
            // same createdAt too.
            if (!real.alreadyActive) everEnded.delete(`${o.p}/${o.sid}/${real.session.createdAt}`);
            const evicted = real.evicted.map((s) => s.sessionId).sort().join();
            if (evicted !== expected.evicted.sort().join()) fail(`admit ${o.sid}: evicted [${evicted}], model [${expected.evicted.join()}]`);
            const replaced = real.replaced.map((s) => `${keys.indexOf(s.principalKey)}/${s.sessionId}`).sort().join();
            if (replaced !== expected.replaced.sort().join()) fail(`admit ${o.sid}: replaced [${replaced}], model [${expected.replaced.join()}]`);
          } else if (real.code !== expected.code) fail(`admit ${o.sid}: ${real.code}, model ${expected.code}`);
          break;
        }
        case 'check': {
          const real = await registry.check(o.sid, keys[o.p]);
          const got = real.status === 'ended' ? `ended:${real.reason}` : real.status;
          const expected = model.check(o.p, o.sid, now);
          if (got !== expected) fail(`check ${o.sid}: ${got}, model ${expected}`);
          break;
        }
        case 'end': {
          const real = await registry.end(o.sid, keys[o.p], 'revoked');
          const expected = model.end(o.p, (s) => s.sid === o.sid, 'revoked', now);
          if ((real?.sessionId ?? '') !== (expected[0] ?? '')) fail(`end ${o.sid}: ${real?.sessionId}, model ${expected[0]}`);
          break;
        }
        case 'endAll': {
          const real = await registry.endAll(keys[o.p], o.except ? { except: o.except } : {});
          const expected = model.end(o.p, (s) => s.sid !== o.except, 'logout', now);
          const got = real.map((s) => s.sessionId).sort().join();
          if (got !== expected.sort().join()) fail(`endAll: [${got}], model [${expected.join()}]`);
          break;
        }
        case 'sweep':
          await registry.sweep();
          break;
      }
      // After every step: both agree on every principal's sessions (state, reason, last
      // seen), never more active than the limit, never more tombstones than the cap, and
      // ended means ended forever, with a reason.
      model.refresh(now);
      for (let p = 0; p < PRINCIPALS; p++) {
        const listed = await registry.list(keys[p], { includeEnded: true });
        const active = listed.filter((s) => s.state === 'active');
        if (active.length > c.max) fail(`${active.length} active over a limit of ${c.max}`);
        if (listed.length - active.length > c.maxTombstones) fail(`${listed.length - active.length} tombstones over a cap of ${c.maxTombstones}`);
        const realView = listed
          .map((s) => (s.state === 'active' ? `${s.sessionId}:active@${s.lastSeenAt}/${s.createdAt}` : `${s.sessionId}:${s.endReason}/${s.createdAt}`))
          .sort()
          .join();
        const modelView = model.view(p);
        if (realView !== modelView) fail(`principal ${p}: [${realView}], model [${modelView}]`);
        for (const s of listed) {
          const key = `${p}/${s.sessionId}/${s.createdAt}`;
          if (s.state === 'ended') {
            if (!s.endReason || !END_REASONS.includes(s.endReason) || s.endedAt === undefined) fail(`${key} ended without a reason`);
            everEnded.add(key);
            if ((s.endReason === 'idle' || s.endReason === 'absolute') && expiredEvents.get(`${keys[p]}/${s.sessionId}/${s.createdAt}`) !== 1) {
              fail(`${key} expired (${s.endReason}) but was reported ${expiredEvents.get(`${keys[p]}/${s.sessionId}/${s.createdAt}`) ?? 0} times`);
            }
          } else if (everEnded.has(key)) {
            fail(`${key} revived`);
          }
        }
      }
    }
    for (const [key, count] of expiredEvents) if (count !== 1) fail(`${key} reported expired ${count} times`);
    return true;
  } finally {
    // The registry first: it writes its pending touches, then closes the shared store.
    await registry.close();
    await ahead.close();
  }
}

/**
 * Registers the model-based property test with ava (part of `storeConformance`; call it
 * directly to run it alone or with more runs).
 *
 * @param test - ava's `test` function.
 * @param options - the store's name and see {@link StoreModelOptions}.
 * @public
 */
export function storeModel(test: import('ava').TestFn, options: StoreModelOptions & { readonly name: string }): void {
  // Serial: ava runs serial tests first, alone, so thousands of random operations do not
  // slow the file's concurrent tests past their stores' deadlines.
  test.serial(`${options.name}: never diverges from the model of the storage rules (property test)`, async (t) => {
    t.timeout(10 * MIN);
    const failure = await checkAgainstModel(options);
    t.is(failure, undefined);
  });
}
