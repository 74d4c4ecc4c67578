import { SessionRegistry, type SessionInfo } from '@session-policy/core';
import { expiresAt, type Timeouts } from '@session-policy/core/store';
import type { Contender } from './contenders.js';
import { EventQueue } from './event-queue.js';
import { deriveSeed, mulberry32, type Random } from './prng.js';
import type { Actor, Workload } from './workload.js';

/** One cell of the matrix: a workload under one configuration. */
export interface RunConfig {
  /** The policy (and over-limit mode) under test. */
  readonly contender: Contender;
  /** `maxSessions`. */
  readonly limit: number;
  /** `idleTimeout` in milliseconds (`Infinity`: none). */
  readonly idleTimeout: number;
}

/**
 * What one run measured. Rates are normalized per principal so that workloads of
 * different sizes compare; raw counts are kept for the JSON output.
 */
export interface RunMetrics {
  /** Legitimate logins refused, per principal per day. */
  readonly refusedPerDay: number;
  /** Legitimate sessions in use (seen within the active window, cookie still held) that were evicted, per principal per day. */
  readonly kickedPerDay: number;
  /** Time sessions held a slot after their owner dropped them, in slot-hours per principal per day. */
  readonly zombieHoursPerDay: number;
  /** Sessions evicted or replaced, per principal per hour. */
  readonly evictionsPerHour: number;
  /** Share of the attack window during which an attacker held a live session (%); `undefined` without attackers. */
  readonly attackerDwellPct: number | undefined;
  /** Share of legitimate visit time spent without a session, refused (%). */
  readonly lockedOutPct: number;
  /** Raw counts behind the rates. */
  readonly counts: {
    readonly legitLogins: number;
    readonly legitRefused: number;
    readonly attackerLogins: number;
    readonly attackerRefused: number;
    readonly kicked: number;
    readonly evictions: number;
    readonly sessions: number;
    readonly checks: number;
    /** Refusals where a session holding a slot was already past the idle timeout (must be 0). */
    readonly staleHolders: number;
  };
}

/** The epoch of the virtual clock: Monday 2025-01-06 00:00 UTC (fixed, for reproducibility). */
export const VIRTUAL_EPOCH = Date.UTC(2025, 0, 6);

/** The simulator's ground truth about one session: who holds it, and when they last used it. */
interface Truth {
  readonly actor: ActorState;
  readonly createdAt: number;
  /** When the owner dropped the cookie or logged out (`Infinity` while held). */
  heldUntil: number;
  /** When the registry ended it (logically: an expired session ends at its expiry). */
  endAt: number;
  /** The owner's last request with it (true time, not the throttled `lastSeenAt`). */
  lastUse: number;
  /** The `lastSeenAt` the store holds (touches are throttled by `touchInterval`). */
  storedLastSeen: number;
}

interface ActorState {
  readonly spec: Actor;
  readonly principal: string;
  readonly label: string;
  readonly legit: boolean;
  /** Visit timings and leave decisions: the same draws whatever the policy does. */
  readonly visits: Random;
  readonly requests: Random;
  readonly retries: Random;
  visitNo: number;
  inVisit: boolean;
  visitEnd: number;
  session: { readonly id: string; readonly truth: Truth } | undefined;
  logins: number;
  deniedSince: number | undefined;
}

type SimEvent =
  | { readonly kind: 'visit'; readonly actor: ActorState }
  | { readonly kind: 'request' | 'retry' | 'leave'; readonly actor: ActorState; readonly visit: number };

/**
 * Replays a workload against a real {@link SessionRegistry} (embedded memory store,
 * virtual clock) under one configuration, and scores it. Deterministic: the same
 * workload and configuration give the same metrics.
 *
 * Events due at the same virtual instant run concurrently across actors (one actor's
 * own events stay in order), so simultaneous logins of one principal really race
 * through the registry, as they would on a server.
 *
 * @param workload - the workload.
 * @param config - the configuration under test.
 */
export async function simulate(workload: Workload, config: RunConfig): Promise<RunMetrics> {
  let now = VIRTUAL_EPOCH;
  const end = VIRTUAL_EPOCH + workload.duration;
  const registry = new SessionRegistry({
    ...config.contender.options(),
    maxSessions: config.limit,
    idleTimeout: config.idleTimeout,
    clock: () => now,
      });
  const timeouts: Timeouts = { idle: config.idleTimeout, absolute: Infinity, retention: 0, maxTombstones: 0 };
  const truths = new Map<string, Truth>();
  const queue = new EventQueue<SimEvent>();
  let sessionSeq = 0;
  let legitLogins = 0;
  let legitRefused = 0;
  let attackerLogins = 0;
  let attackerRefused = 0;
  let kicked = 0;
  let evictions = 0;
  let checks = 0;
  let staleHolders = 0;
  let legitVisitTime = 0;
  let lockedOut = 0;

  registry.on('evicted', (session: SessionInfo) => {
    evictions++;
    const truth = truths.get(session.sessionId);
    if (truth && truth.actor.legit && truth.heldUntil === Infinity && now - truth.lastUse <= workload.activeWindow) kicked++;
  });
  // Expiry is not taken from events: it is computed at the end from the stored
  // `lastSeenAt` (mirrored below), because a session expires at a known instant whether
  // or not anything notices, and because a check that touches one session ends the
  // principal's other expired sessions without an event (a core gap, see RESULTS.md).
  registry.on('ended', (session: SessionInfo) => {
    const truth = truths.get(session.sessionId);
    if (truth && session.endReason !== 'idle' && session.endReason !== 'absolute') truth.endAt = session.endedAt ?? now;
  });

  const actors: ActorState[] = [];
  for (let p = 0; p < workload.principals; p++) {
    workload.actors.forEach((spec, a) => {
      for (let c = 0; c < spec.count; c++) {
        const label = spec.count > 1 ? `${spec.name}-${c + 1}` : spec.name;
        const stream = (purpose: string): Random => mulberry32(deriveSeed(workload.seed, p, a, c, purpose));
        const actor: ActorState = {
          spec,
          principal: `user-${p}`,
          label,
          legit: spec.role === 'legit',
          visits: stream('visits'),
          requests: stream('requests'),
          retries: stream('retries'),
          visitNo: 0,
          inVisit: false,
          visitEnd: 0,
          session: undefined,
          logins: 0,
          deniedSince: undefined,
        };
        actors.push(actor);
        queue.push(align(VIRTUAL_EPOCH + spec.arrives + spec.gap(actor.visits), spec.align), { kind: 'visit', actor });
      }
    });
  }

  const endDenial = (actor: ActorState): void => {
    if (actor.deniedSince === undefined) return;
    if (actor.legit) lockedOut += now - actor.deniedSince;
    actor.deniedSince = undefined;
  };

  const login = async (actor: ActorState): Promise<void> => {
    const { spec } = actor;
    actor.logins++;
    const sessionId = `s${++sessionSeq}`;
    const deviceId = spec.device === 'stable' ? actor.label : spec.device === 'per-login' ? `${actor.label}#${actor.logins}` : undefined;
    const result = await registry.admit({ principal: actor.principal, sessionId, ...(deviceId === undefined ? {} : { deviceId }) });
    if (actor.legit) legitLogins++;
    else attackerLogins++;
    if (result.admitted) {
      const truth: Truth = { actor, createdAt: now, heldUntil: Infinity, endAt: Infinity, lastUse: now, storedLastSeen: now };
      truths.set(sessionId, truth);
      actor.session = { id: sessionId, truth };
      endDenial(actor);
      return;
    }
    if (actor.legit) legitRefused++;
    else attackerRefused++;
    if (result.holders.some((h) => now - h.lastSeenAt >= config.idleTimeout)) staleHolders++;
    actor.deniedSince ??= now;
    const retryAt = now + spec.retryEvery(actor.retries);
    if (retryAt < actor.visitEnd) queue.push(retryAt, { kind: 'retry', actor, visit: actor.visitNo });
  };

  const use = async (actor: ActorState): Promise<void> => {
    const held = actor.session;
    if (held) {
      checks++;
      const result = await registry.check(held.id, actor.principal);
      if (result.status === 'active') {
        held.truth.lastUse = now;
        held.truth.storedLastSeen = result.session.lastSeenAt;
        return;
      }
      actor.session = undefined;
    }
    if (actor.deniedSince === undefined) await login(actor);
  };

  const handle = async (event: SimEvent): Promise<void> => {
    const { actor } = event;
    const { spec } = actor;
    if (event.kind === 'visit') {
      actor.visitNo++;
      actor.inVisit = true;
      actor.visitEnd = now + spec.visit(actor.visits);
      if (actor.legit) legitVisitTime += Math.min(actor.visitEnd, end) - now;
      queue.push(actor.visitEnd, { kind: 'leave', actor, visit: actor.visitNo });
      const next = now + spec.requestEvery(actor.requests);
      if (next < actor.visitEnd) queue.push(next, { kind: 'request', actor, visit: actor.visitNo });
      await use(actor);
      return;
    }
    if (event.visit !== actor.visitNo || !actor.inVisit) return;
    if (event.kind === 'request') {
      const next = now + spec.requestEvery(actor.requests);
      if (next < actor.visitEnd) queue.push(next, { kind: 'request', actor, visit: actor.visitNo });
      await use(actor);
    } else if (event.kind === 'retry') {
      if (!actor.session) await login(actor);
    } else {
      // Both draws are always taken, so the visit stream does not depend on the policy.
      const logsOut = actor.visits() < spec.logout;
      const keeps = actor.visits() < spec.keepSession;
      const held = actor.session;
      if (held && logsOut) {
        await registry.end(held.id, actor.principal);
        held.truth.heldUntil = now;
        actor.session = undefined;
      } else if (held && !keeps) {
        held.truth.heldUntil = now;
        actor.session = undefined;
      }
      endDenial(actor);
      actor.inVisit = false;
      queue.push(align(now + spec.gap(actor.visits), spec.align), { kind: 'visit', actor });
    }
  };

  while (queue.peekTime() < end) {
    now = queue.peekTime();
    const byActor = new Map<ActorState, SimEvent[]>();
    while (queue.peekTime() === now) {
      const event = queue.pop()!;
      const list = byActor.get(event.actor);
      if (list) list.push(event);
      else byActor.set(event.actor, [event]);
    }
    await Promise.all(
      [...byActor.values()].map(async (events) => {
        for (const e of events) await handle(e);
      }),
    );
  }

  now = end;
  for (const actor of actors) if (actor.inVisit) endDenial(actor);
  await registry.close();
  return score();

  function score(): RunMetrics {
    const days = workload.duration / 86_400_000;
    const principalDays = workload.principals * days;
    let zombie = 0;
    const attackIntervals = new Map<string, Array<[number, number]>>();
    for (const truth of truths.values()) {
      const expiry = expiresAt({ createdAt: truth.createdAt, lastSeenAt: truth.storedLastSeen } as SessionInfo, timeouts);
      const endAt = Math.min(truth.endAt, expiry, end);
      if (truth.heldUntil < endAt) zombie += endAt - truth.heldUntil;
      if (!truth.actor.legit) {
        const until = Math.min(truth.heldUntil, endAt);
        if (until > truth.createdAt) {
          const list = attackIntervals.get(truth.actor.principal) ?? [];
          list.push([truth.createdAt, until]);
          attackIntervals.set(truth.actor.principal, list);
        }
      }
    }
    let attackerDwellPct: number | undefined;
    if (workload.hasAttacker) {
      const attackStart = VIRTUAL_EPOCH + Math.min(...workload.actors.filter((a) => a.role === 'attacker').map((a) => a.arrives));
      let dwell = 0;
      for (const list of attackIntervals.values()) dwell += unionLength(list);
      attackerDwellPct = (100 * dwell) / (workload.principals * (end - attackStart));
    }
    return {
      refusedPerDay: legitRefused / principalDays,
      kickedPerDay: kicked / principalDays,
      zombieHoursPerDay: zombie / 3_600_000 / principalDays,
      evictionsPerHour: evictions / (principalDays * 24),
      attackerDwellPct,
      lockedOutPct: legitVisitTime > 0 ? (100 * lockedOut) / legitVisitTime : 0,
      counts: { legitLogins, legitRefused, attackerLogins, attackerRefused, kicked, evictions, sessions: truths.size, checks, staleHolders },
    };
  }
}

/** Rounds a time up to the next multiple of `step` since the virtual epoch. */
function align(at: number, step: number): number {
  if (step <= 0) return at;
  return VIRTUAL_EPOCH + Math.ceil((at - VIRTUAL_EPOCH) / step) * step;
}

/** The total length covered by a set of intervals. */
function unionLength(intervals: Array<[number, number]>): number {
  intervals.sort((a, b) => a[0] - b[0]);
  let total = 0;
  let from = -Infinity;
  let to = -Infinity;
  for (const [a, b] of intervals) {
    if (a > to) {
      if (to > from) total += to - from;
      from = a;
      to = b;
    } else if (b > to) {
      to = b;
    }
  }
  if (to > from) total += to - from;
  return total;
}
