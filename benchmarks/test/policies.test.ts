import test from 'ava';
import { CONTENDERS, pickContenders } from '../policies/contenders.js';
import { metricCharts } from '../policies/charts.js';
import { quickVariant, runMatrix, type MatrixRow } from '../policies/matrix.js';
import { deriveSeed, mulberry32 } from '../policies/prng.js';
import { simulate, type RunMetrics } from '../policies/simulator.js';
import { resultTables } from '../policies/table.js';
import { loadWorkload, parseWorkload, type Workload, type WorkloadFile } from '../policies/workload.js';

const MIN = 60_000;

async function quick(name: string): Promise<Workload> {
  return quickVariant(await loadWorkload(name));
}

async function score(workload: Workload, policy: string, limit: number, idleTimeout: number): Promise<RunMetrics> {
  return simulate(workload, { contender: pickContenders([policy])[0]!, limit, idleTimeout });
}

test('the same seed gives the same table, twice in a row', async (t) => {
  // login-storm races simultaneous logins through the registry; attacker mixes roles.
  const workloads = await Promise.all(['login-storm', 'attacker'].map(quick));
  const once = async (): Promise<{ table: string; rows: readonly MatrixRow[] }> => {
    const rows = await runMatrix({ workloads, contenders: CONTENDERS, idleTimeouts: [15 * MIN, Infinity] });
    return { table: resultTables(rows, workloads), rows };
  };
  const first = await once();
  const second = await once();
  t.is(first.rows.length, 2 * CONTENDERS.length * 2);
  t.is(second.table, first.table);
  t.deepEqual(second.rows, first.rows);
});

test('a different seed gives different figures (the seed is really used)', async (t) => {
  const workload = await quick('multi-device');
  const a = await score(workload, 'least-recently-seen', 2, Infinity);
  const b = await score({ ...workload, seed: workload.seed + 1 }, 'least-recently-seen', 2, Infinity);
  t.notDeepEqual(a.counts, b.counts);
});

test('attacker with the password: idle-first kicks the real user out of sessions in use far less than least-recently-seen', async (t) => {
  const workload = await quick('attacker');
  for (const limit of workload.limits) {
    const lrs = await score(workload, 'least-recently-seen', limit, 15 * MIN);
    const idle = await score(workload, 'idle-first', limit, 15 * MIN);
    t.true(lrs.counts.kicked > 0, 'under least-recently-seen every attacker login kicks someone');
    t.true(idle.counts.kicked < lrs.counts.kicked, `idle-first ${idle.counts.kicked} vs least-recently-seen ${lrs.counts.kicked}`);
    t.true(idle.counts.attackerRefused > 0, 'idle-first refuses the attacker while the user is active');
    t.is(lrs.counts.attackerRefused, 0, 'least-recently-seen never refuses anyone');
  }
});

test('abandoned devices: reject without an idle timeout refuses legitimate logins; with one, zombies free their slots', async (t) => {
  const workload = await quick('abandoned-devices');
  const limit = workload.limits[0]!;
  const none = await score(workload, 'reject', limit, Infinity);
  const idle = await score(workload, 'reject', limit, 15 * MIN);
  t.true(none.counts.legitRefused > 0, 'zombies hold every slot forever');
  t.true(none.lockedOutPct > 0);
  t.true(idle.counts.legitRefused < none.counts.legitRefused, `${idle.counts.legitRefused} refused with 15m vs ${none.counts.legitRefused} without`);
  t.true(idle.lockedOutPct < none.lockedOutPct);
  t.true(idle.zombieHoursPerDay < none.zombieHoursPerDay);
});

test('definitions hold in every run: reject never evicts, nothing evicts without a limit, no refusal is held up by an expired session', async (t) => {
  const workloads = await Promise.all(['abandoned-devices', 'shared-account', 'login-storm'].map(quick));
  const rows = await runMatrix({ workloads, contenders: CONTENDERS, idleTimeouts: [15 * MIN, Infinity] });
  for (const row of rows) {
    const where = `${row.workload} ${row.policy} limit ${row.limit} idle ${row.idleTimeout}`;
    t.is(row.metrics.counts.staleHolders, 0, where);
    if (row.policy === 'reject') t.is(row.metrics.counts.evictions, 0, where);
    if (row.policy !== 'reject' && row.policy !== 'idle-first') t.is(row.metrics.counts.legitRefused, 0, `${where}: evicting policies admit every login`);
  }
  const unlimited = await score(workloads[1]!, 'least-recently-seen', Number.MAX_SAFE_INTEGER, Infinity);
  t.is(unlimited.counts.evictions, 0);
  t.is(unlimited.counts.legitRefused, 0);
});

test('login storm: with a limit of 1, evicting policies kill in-flight sessions; reject kills none', async (t) => {
  const workload = await quick('login-storm');
  const lrs = await score(workload, 'least-recently-seen', 1, 15 * MIN);
  const reject = await score(workload, 'reject', 1, 15 * MIN);
  t.true(lrs.counts.kicked > 0);
  t.is(reject.counts.kicked, 0);
  t.true(reject.counts.legitRefused > 0);
});

test('a workload with a wrong field is refused with a message naming it', (t) => {
  const bad = {
    name: 'bad',
    description: 'x',
    seed: 1,
    duration: '1d',
    principals: 1,
    limits: [1],
    actors: [{ name: 'a', gap: { exp: 'soon' }, visit: '5m', requestEvery: '1m' }],
  } as unknown as WorkloadFile;
  const error = t.throws(() => parseWorkload(bad));
  t.is((error as Error & { code?: string }).code, 'ERR_INVALID_OPTION');
  t.regex(error!.message, /bad\.actors\[0\]\.gap\.exp/);
});

test('one chart per metric, one bar per policy per idle timeout per panel', async (t) => {
  const workloads = [await quick('attacker')];
  const rows = await runMatrix({ workloads, contenders: CONTENDERS, idleTimeouts: [15 * MIN, Infinity] });
  const charts = metricCharts(rows, workloads, CONTENDERS.map((c) => c.name));
  t.is(charts.length, 6);
  for (const chart of charts) {
    t.true(chart.svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
    t.is(chart.svg.match(/<rect [^>]*><title>/g)?.length, CONTENDERS.length * 2);
  }
});

test('derived PRNG streams are reproducible and independent', (t) => {
  const a = mulberry32(deriveSeed(42, 'user-0', 'phone', 'visits'));
  const b = mulberry32(deriveSeed(42, 'user-0', 'phone', 'visits'));
  const c = mulberry32(deriveSeed(42, 'user-0', 'phone', 'requests'));
  const xs = Array.from({ length: 5 }, () => a());
  t.deepEqual(Array.from({ length: 5 }, () => b()), xs);
  t.notDeepEqual(Array.from({ length: 5 }, () => c()), xs);
  t.true(xs.every((x) => x >= 0 && x < 1));
});
