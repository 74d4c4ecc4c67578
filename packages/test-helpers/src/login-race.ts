/**
 * The cross-process login race every shared store runs (Redis, Redis Cluster, Postgres):
 * worker processes, each with its own store and registry, log one principal in at once,
 * round after round, while the parent checks after each round what the store holds.
 *
 * Parent side: {@link startRaceWorkers}, {@link runLoginRace}, {@link stopRaceWorkers},
 * {@link describeRaceTally}.
 * Worker side (the forked file): {@link serveRaceOrders}.
 *
 * The types here are structural (the registry's admit result, list and endAll), so this
 * package depends on no workspace package.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { ExecutionContext } from 'ava';
import { stopChild } from './run-worker.js';

/** One round's order to a worker: log `principal` in `count` times at once. */
export interface RaceOrder {
  /** Which of the worker's stores to use (a name the worker knows). */
  readonly store: string;
  readonly principal: string;
  readonly count: number;
  readonly limit: number;
  readonly onLimit: 'evict' | 'reject';
  /** Makes the round's session ids unique: `<tag>-<pid>-<i>`. */
  readonly tag: string;
}

/** What one login of a round became. */
export interface RaceLogin {
  readonly id: string;
  readonly admitted: boolean;
  readonly evicted?: readonly string[];
  readonly code?: string;
  readonly error?: string;
}

/** The part of a registry's admit result the race reads. */
export type RaceAdmitResult =
  | { readonly admitted: true; readonly session: { readonly sessionId: string }; readonly evicted: ReadonlyArray<{ readonly sessionId: string }> }
  | { readonly admitted: false; readonly code: string };

/** The part of a registry a worker uses. */
export interface RaceRegistry {
  admit(input: { principal: string; sessionId: string }): Promise<RaceAdmitResult>;
}

/** The part of a registry the parent uses to look at the store between rounds. */
export interface RaceObserver {
  list(
    principal: string,
    options?: { includeEnded?: boolean },
  ): Promise<ReadonlyArray<{ readonly sessionId: string; readonly state: string; readonly endReason?: string }>>;
  endAll(principal: string): Promise<unknown>;
}

/** What a race found (every count but `maxActive` and `admittedInRejectRounds` must be 0). */
export interface RaceTally {
  /** Rounds after which more sessions than the limit were active. */
  readonly overLimit: number;
  /** Sessions reported evicted that were still active. */
  readonly evictedActive: number;
  /** Refusals with neither `ERR_SESSION_LIMIT` nor `ERR_SESSION_ENDED`. */
  readonly unexplained: number;
  /** Logins that failed (the error's text). */
  readonly errors: readonly string[];
  /**
   * Logins told `admitted` that vanished: neither active nor reported evicted or, with
   * `tombstones`, neither active nor a tombstone.
   */
  readonly lost: number;
  /** With `tombstones`: sessions reported evicted whose tombstone does not say `evicted`. */
  readonly wrongTombstone: number;
  /** The most active sessions seen after a round. */
  readonly maxActive: number;
  /** In reject mode: how many logins each round admitted. */
  readonly admittedInRejectRounds: readonly number[];
}

const EXEC_ARGV = ['--conditions=session-policy-source', '--import=tsx'];

/**
 * Forks `count` workers of `worker` (a file that calls {@link serveRaceOrders}) with
 * `args`, and waits until each says it is ready.
 */
export async function startRaceWorkers(worker: URL, args: readonly string[], count: number): Promise<ChildProcess[]> {
  const children = Array.from({ length: count }, () => fork(worker, [...args], { execArgv: EXEC_ARGV, stdio: 'inherit' }));
  await Promise.all(children.map((c) => new Promise((resolve) => c.once('message', resolve))));
  return children;
}

/** Asks each worker to close its stores and exit; kills one that has not within 5 s. */
export async function stopRaceWorkers(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(children.map((c) => stopChild(c, 'exit')));
}

function order(child: ChildProcess, message: RaceOrder): Promise<RaceLogin[]> {
  return new Promise((resolve) => {
    child.once('message', (results: RaceLogin[]) => resolve(results));
    child.send(message);
  });
}

/**
 * Runs `rounds` rounds: every worker logs `race.principal` in `race.count` times at once,
 * then `observer` lists what the store holds. In reject mode the principal is logged out
 * everywhere after each round (so each round starts empty).
 *
 * @param options.tombstones - check every admitted session against the tombstones too
 *   (the observer lists ended sessions, and they must be kept long enough).
 */
export async function runLoginRace(
  children: readonly ChildProcess[],
  observer: RaceObserver,
  race: Omit<RaceOrder, 'tag'>,
  rounds: number,
  options: { tombstones?: boolean } = {},
): Promise<RaceTally> {
  const evicted = new Set<string>();
  const errors: string[] = [];
  const admittedInRejectRounds: number[] = [];
  let overLimit = 0;
  let evictedActive = 0;
  let unexplained = 0;
  let lost = 0;
  let wrongTombstone = 0;
  let maxActive = 0;
  for (let r = 0; r < rounds; r++) {
    const results = (await Promise.all(children.map((c) => order(c, { ...race, tag: `r${r}` })))).flat();
    for (const res of results) {
      for (const id of res.evicted ?? []) evicted.add(id);
      if (res.error !== undefined) errors.push(res.error);
      else if (!res.admitted && res.code !== 'ERR_SESSION_LIMIT' && res.code !== 'ERR_SESSION_ENDED') unexplained++;
    }
    const all = await observer.list(race.principal, options.tombstones ? { includeEnded: true } : undefined);
    const active = all.filter((s) => s.state === 'active');
    maxActive = Math.max(maxActive, active.length);
    if (active.length > race.limit) overLimit++;
    evictedActive += active.filter((s) => evicted.has(s.sessionId)).length;
    const known = new Map(all.map((s) => [s.sessionId, s]));
    for (const x of results) {
      if (!x.admitted) continue;
      const s = known.get(x.id);
      if (options.tombstones) {
        if (!s) lost++;
        else if (evicted.has(x.id) && s.endReason !== 'evicted') wrongTombstone++;
      } else if (s?.state !== 'active' && !evicted.has(x.id)) lost++;
    }
    if (race.onLimit === 'reject') {
      admittedInRejectRounds.push(results.filter((x) => x.admitted).length);
      await observer.endAll(race.principal);
    }
  }
  return { overLimit, evictedActive, unexplained, errors, lost, wrongTombstone, maxActive, admittedInRejectRounds };
}

/**
 * Asserts that a race broke no guarantee: no failed login, never more active sessions
 * than the limit (and the limit reached), no evicted session active, every refusal with
 * a reason, no admitted session lost (nor, with `tombstones`, a wrong tombstone), and in
 * reject mode exactly the limit admitted per round.
 */
export function assertNoViolations(t: ExecutionContext, tally: RaceTally, race: { limit: number; onLimit: 'evict' | 'reject'; tombstones?: boolean }): void {
  t.deepEqual(tally.errors, [], 'no login failed');
  t.is(tally.overLimit, 0, 'more active sessions than the limit after a round');
  t.is(tally.maxActive, race.limit);
  t.is(tally.evictedActive, 0, 'a session both evicted and active');
  t.is(tally.unexplained, 0, 'a refusal without a reason');
  t.is(tally.lost, 0, race.tombstones ? 'a login told admitted that is neither active nor a tombstone' : 'a login told admitted whose session vanished');
  if (race.tombstones) t.is(tally.wrongTombstone, 0, 'an evicted session whose tombstone does not say evicted');
  if (race.onLimit === 'reject') t.true(tally.admittedInRejectRounds.every((n) => n === race.limit), String(tally.admittedInRejectRounds));
}

/**
 * One line describing a race's tally, for a test that reports a store's violations
 * without asserting them (a store atomic only inside one process): rounds over the limit
 * (in reject mode: rounds that admitted more than the limit), the most active sessions,
 * and every other count.
 */
export function describeRaceTally(tally: RaceTally, race: { limit: number; onLimit: 'evict' | 'reject' }, rounds: number): string {
  const { limit, onLimit } = race;
  const over = onLimit === 'reject' ? tally.admittedInRejectRounds.filter((n) => n > limit).length : tally.overLimit;
  return (
    `limit ${limit} ${onLimit}: ${over}/${rounds} rounds over the limit (max active ${tally.maxActive}` +
    `${onLimit === 'reject' ? `, admitted per round ${Math.min(...tally.admittedInRejectRounds)}–${Math.max(...tally.admittedInRejectRounds)}` : ''}), ` +
    `${tally.evictedActive} evicted-but-active, ${tally.lost} admitted-then-lost, ${tally.unexplained} unexplained refusals, ${tally.errors.length} errors`
  );
}

/**
 * Worker side: answers each {@link RaceOrder} from the parent with what its logins
 * became, through one registry per store, limit and mode (`registryFor` makes it);
 * on `'exit'`, runs `close` and exits. Tells the parent it is ready.
 */
export function serveRaceOrders(registryFor: (order: RaceOrder) => RaceRegistry, close: () => Promise<unknown>): void {
  const registries = new Map<string, RaceRegistry>();
  process.on('message', (message: RaceOrder | 'exit') => {
    if (message === 'exit') {
      void close().then(() => process.exit(0));
      return;
    }
    const key = `${message.store}/${message.limit}/${message.onLimit}`;
    let registry = registries.get(key);
    if (!registry) registries.set(key, (registry = registryFor(message)));
    const reg = registry;
    const logins = Array.from({ length: message.count }, (_, i) => {
      const id = `${message.tag}-${process.pid}-${i}`;
      return reg.admit({ principal: message.principal, sessionId: id }).then(
        (result): RaceLogin =>
          result.admitted ? { id, admitted: true, evicted: result.evicted.map((s) => s.sessionId) } : { id, admitted: false, code: result.code },
        (error: unknown): RaceLogin => ({ id, admitted: false, error: String(error) }),
      );
    });
    void Promise.all(logins).then((results) => process.send?.(results));
  });
  process.send?.('ready');
}
