// Random sequences of admit / check / end / endAll / sweep with random clock jumps,
// run against the real registry and against a deliberately simple model; any
// divergence (more active than the limit, a revival, an end without a reason, a
// different admission decision) fails with a shrunk counterexample.
import test from 'ava';
import fc from 'fast-check';
import { END_REASONS, SessionRegistry } from '@session-policy/core';

const MIN = 60_000;
const IDLE = 10 * MIN;
const ABSOLUTE = 45 * MIN;
const TOUCH = MIN;

type Op =
  | { kind: 'admit'; p: string; sid: string; device: string | undefined }
  | { kind: 'check'; p: string; sid: string }
  | { kind: 'end'; p: string; sid: string }
  | { kind: 'endAll'; p: string; except: string | undefined }
  | { kind: 'sweep' }
  | { kind: 'advance'; ms: number };

interface ModelSession {
  sid: string;
  created: number;
  seen: number;
  ended?: string;
}

const principal = fc.constantFrom('ann', 'bo');
const sid = fc.constantFrom('s0', 's1', 's2', 's3', 's4', 's5', 's6');
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('admit' as const), p: principal, sid, device: fc.constantFrom('d0', 'd1', undefined) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('check' as const), p: principal, sid }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('end' as const), p: principal, sid }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('endAll' as const), p: principal, except: fc.option(sid, { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 12 * MIN }) }) },
);

class Model {
  readonly sessions = new Map<string, ModelSession[]>();
  constructor(readonly max: number, readonly reject: boolean) {}
  of(p: string): ModelSession[] {
    let list = this.sessions.get(p);
    if (!list) this.sessions.set(p, (list = []));
    return list;
  }
  refresh(now: number): void {
    for (const list of this.sessions.values()) {
      for (const s of list) {
        if (s.ended) continue;
        if (now >= s.created + ABSOLUTE) s.ended = 'absolute';
        else if (now >= s.seen + IDLE) s.ended = 'idle';
      }
    }
  }
  active(p: string): ModelSession[] {
    return this.of(p).filter((s) => !s.ended);
  }
  admit(p: string, id: string, now: number): { admitted: boolean; evicted: string[]; code?: string } {
    const existing = this.of(p).find((s) => s.sid === id);
    if (existing) return existing.ended ? { admitted: false, evicted: [], code: 'ERR_SESSION_ENDED' } : { admitted: true, evicted: [] };
    const active = this.active(p);
    const excess = active.length + 1 - this.max;
    const evicted: string[] = [];
    if (excess > 0) {
      if (this.reject) return { admitted: false, evicted, code: 'ERR_SESSION_LIMIT' };
      const order = [...active].sort((a, b) => a.seen - b.seen || a.created - b.created || (a.sid < b.sid ? -1 : 1));
      for (const victim of order.slice(0, excess)) {
        victim.ended = 'evicted';
        evicted.push(victim.sid);
      }
    }
    this.of(p).push({ sid: id, created: now, seen: now });
    return { admitted: true, evicted };
  }
  check(p: string, id: string, now: number): string {
    const s = this.of(p).find((x) => x.sid === id);
    if (!s) return 'unknown';
    if (s.ended) return `ended:${s.ended}`;
    if (now - s.seen >= TOUCH) s.seen = now;
    return 'active';
  }
  end(p: string, filter: (s: ModelSession) => boolean, reason: string): string[] {
    const ended: string[] = [];
    for (const s of this.active(p)) {
      if (filter(s)) {
        s.ended = reason;
        ended.push(s.sid);
      }
    }
    return ended;
  }
}

test('the registry never diverges from a simple model', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.boolean(), fc.array(op, { maxLength: 45 }), async (max, reject, ops) => {
      let now = 1_700_000_000_000;
      const registry = new SessionRegistry({
        maxSessions: max,
        onLimit: reject ? 'reject' : 'evict',
        idleTimeout: IDLE,
        absoluteTimeout: ABSOLUTE,
        touchInterval: TOUCH,
        tombstoneRetention: 24 * 60 * MIN,
        maxTombstones: 1000,
        clock: () => now,
      });
      const model = new Model(max, reject);
      const everEnded = new Set<string>();
      try {
        for (const o of ops) {
          switch (o.kind) {
            case 'advance':
              now += o.ms;
              break;
            case 'admit': {
              const real = await registry.admit({ principal: o.p, sessionId: o.sid, ...(o.device ? { deviceId: o.device } : {}) });
              const expected = model.admit(o.p, o.sid, now);
              if (real.admitted !== expected.admitted) return false;
              if (real.admitted && [...real.evicted.map((s) => s.sessionId)].sort().join() !== expected.evicted.sort().join()) return false;
              if (!real.admitted && real.code !== expected.code) return false;
              break;
            }
            case 'check': {
              const real = await registry.check(o.sid, o.p);
              const got = real.status === 'ended' ? `ended:${real.reason}` : real.status;
              if (got !== model.check(o.p, o.sid, now)) return false;
              break;
            }
            case 'end': {
              const real = await registry.end(o.sid, o.p, 'revoked');
              const expected = model.end(o.p, (s) => s.sid === o.sid, 'revoked');
              if ((real?.sessionId ?? '') !== (expected[0] ?? '')) return false;
              break;
            }
            case 'endAll': {
              const real = await registry.endAll(o.p, o.except ? { except: o.except } : {});
              const expected = model.end(o.p, (s) => s.sid !== o.except, 'logout');
              if (real.map((s) => s.sessionId).sort().join() !== expected.sort().join()) return false;
              break;
            }
            case 'sweep':
              await registry.sweep();
              break;
          }
          // After every step: the model notices expiries; both agree on every principal's
          // sessions; never more active than the limit; ended means ended forever, with a reason.
          model.refresh(now);
          for (const p of ['ann', 'bo']) {
            const listed = await registry.list(p, { includeEnded: true });
            const active = listed.filter((s) => s.state === 'active');
            if (active.length > max) return false;
            const realView = listed.map((s) => `${s.sessionId}:${s.state === 'active' ? 'active' : s.endReason}`).sort().join();
            const modelView = model.of(p).map((s) => `${s.sid}:${s.ended ?? 'active'}`).sort().join();
            if (realView !== modelView) return false;
            for (const s of listed) {
              const key = `${p}/${s.sessionId}`;
              if (s.state === 'ended') {
                if (!s.endReason || !END_REASONS.includes(s.endReason) || s.endedAt === undefined) return false;
                everEnded.add(key);
              } else if (everEnded.has(key)) {
                return false;
              }
            }
          }
        }
        return true;
      } finally {
        await registry.close();
      }
    }),
    { numRuns: 150 },
  );
  t.pass('no divergence in 150 random runs');
});
