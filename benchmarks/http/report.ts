import type { Measurement } from './harness.js';
import { BASELINE, CPU_TARGET_US, P99_TARGET, SESSION_LIBRARIES, TARGETS, VARIANT_LABELS, type Framework, type Variant } from './variants.js';

/** A median with the spread (min–max) it came from. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** One framework × variant over all rounds. */
export interface Summary {
  readonly framework: Framework;
  readonly variant: Variant;
  readonly rounds: number;
  readonly rps: Spread;
  readonly p99ms: Spread;
  /** Server CPU time per request, µs. */
  readonly cpuUs: Spread;
  /** req/s over the baseline's in the same round, across rounds. */
  readonly rpsRatio: Spread;
  /** p99 over the baseline's in the same round, across rounds (above 1 = slower). */
  readonly p99Ratio: Spread;
  /** CPU per request over the baseline's in the same round, across rounds (above 1 = costlier). */
  readonly cpuRatio: Spread;
  /** CPU per request minus the baseline's in the same round, µs, across rounds (above 0 = costlier). */
  readonly cpuDeltaUs: Spread;
  /** The same for user CPU only (no kernel socket work), µs. */
  readonly userCpuDeltaUs: Spread;
  /** The lowest acceptable median req/s ratio, when the variant has one. */
  readonly target?: number;
  /** Whether the median req/s ratio reaches the target (undefined without a target). */
  readonly met?: boolean;
  /** Whether the median p99 ratio is within {@link P99_TARGET} (undefined without a target). */
  readonly p99Met?: boolean;
  /** Whether the median CPU difference is within {@link CPU_TARGET_US} (undefined without a target). */
  readonly cpuMet?: boolean;
}

/** The median (mean of the middle two for an even count) and the extremes. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('spread of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/**
 * Per framework × variant: medians and spreads over the rounds, and ratios to the
 * baseline taken round by round (each variant against the baseline measured seconds
 * apart, so a slow patch of the machine cancels out) before the median.
 *
 * @param measurements - from `measureAll`.
 */
export function summarize(measurements: readonly Measurement[]): Summary[] {
  const summaries: Summary[] = [];
  const keys = new Map<string, { framework: Framework; variant: Variant }>();
  for (const m of measurements) keys.set(`${m.framework}/${m.variant}`, { framework: m.framework, variant: m.variant });
  for (const { framework, variant } of keys.values()) {
    const mine = measurements.filter((m) => m.framework === framework && m.variant === variant);
    const rpsRatios: number[] = [];
    const p99Ratios: number[] = [];
    const cpuRatios: number[] = [];
    const cpuDeltas: number[] = [];
    const userDeltas: number[] = [];
    for (const m of mine) {
      const base = measurements.find((b) => b.framework === framework && b.variant === BASELINE && b.round === m.round);
      if (!base) continue;
      rpsRatios.push(m.rps / base.rps);
      p99Ratios.push(m.p99ms / base.p99ms);
      cpuRatios.push(m.cpuPerRequestUs / base.cpuPerRequestUs);
      cpuDeltas.push(m.cpuPerRequestUs - base.cpuPerRequestUs);
      userDeltas.push(m.userCpuPerRequestUs - base.userCpuPerRequestUs);
    }
    const ratio = (values: number[]) => (values.length ? spread(values) : { median: NaN, min: NaN, max: NaN });
    const rpsRatio = ratio(rpsRatios);
    const p99Ratio = ratio(p99Ratios);
    const cpuDeltaUs = ratio(cpuDeltas);
    const target = TARGETS[variant];
    summaries.push({
      framework,
      variant,
      rounds: mine.length,
      rps: spread(mine.map((m) => m.rps)),
      p99ms: spread(mine.map((m) => m.p99ms)),
      cpuUs: spread(mine.map((m) => m.cpuPerRequestUs)),
      rpsRatio,
      p99Ratio,
      cpuRatio: ratio(cpuRatios),
      cpuDeltaUs,
      userCpuDeltaUs: ratio(userDeltas),
      ...(target === undefined ? {} : { target, met: rpsRatio.median >= target, p99Met: p99Ratio.median <= P99_TARGET, cpuMet: cpuDeltaUs.median <= CPU_TARGET_US }),
    });
  }
  return summaries;
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : '–');
const pctSpread = (s: Spread) => `${pct(s.median)} (${(s.min * 100).toFixed(0)}–${(s.max * 100).toFixed(0)})`;
const int = (s: Spread) => `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`;
const deltaSpread = (s: Spread) => `${signed(s.median)} (${signed(s.min)}…${signed(s.max)})`;
const ms = (s: Spread) => `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;

/**
 * The result table: one row per framework × variant with req/s, p99 and server CPU per
 * request (median over the rounds, min–max in brackets), each as a ratio to the
 * baseline, the CPU difference to the baseline in µs, and the target verdicts.
 *
 * @param summaries - from {@link summarize}.
 */
export function renderTable(summaries: readonly Summary[]): string {
  const lines = [
    '| framework | variant | req/s | p99 ms | server CPU µs/req | req/s vs baseline | p99 vs baseline | CPU/req vs baseline | CPU/req − baseline, µs | user CPU/req − baseline, µs | targets (req/s · p99 · CPU) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const s of summaries) {
    const base = (ratio: Spread) => (s.variant === BASELINE ? '100 %' : pctSpread(ratio));
    const word = (met: boolean | undefined) => (met ? 'met' : 'missed');
    const verdict =
      s.target === undefined
        ? ''
        : `≥ ${pct(s.target)}: **${word(s.met)}** · ≤ ${pct(P99_TARGET)}: ${word(s.p99Met)} · ≤ +${CPU_TARGET_US} µs: ${word(s.cpuMet)}`;
    const delta = s.variant === BASELINE ? '0' : deltaSpread(s.cpuDeltaUs);
    const userDelta = s.variant === BASELINE ? '0' : deltaSpread(s.userCpuDeltaUs);
    lines.push(
      `| ${s.framework} | ${VARIANT_LABELS[s.variant]} | ${int(s.rps)} | ${ms(s.p99ms)} | ${int(s.cpuUs)} | ${base(s.rpsRatio)} | ${base(s.p99Ratio)} | ${base(s.cpuRatio)} | ${delta} | ${userDelta} | ${verdict} |`,
    );
  }
  return lines.join('\n');
}

/**
 * The verdicts: the req/s targets (one line per missed one, or a line saying all were
 * met), then how many variants met the p99 and the CPU targets.
 */
export function renderVerdicts(summaries: readonly Summary[]): string {
  const judged = summaries.filter((s) => s.target !== undefined);
  const missed = judged.filter((s) => !s.met);
  if (judged.length === 0) return '';
  const name = (s: Summary) => `${s.framework} ${VARIANT_LABELS[s.variant]}`;
  const rest = (label: string, ok: (s: Summary) => boolean | undefined, figure: (s: Summary) => string) => {
    const off = judged.filter((s) => !ok(s));
    return `${label}: ${judged.length - off.length} of ${judged.length} met${off.length ? ` (missed: ${off.map((s) => `${name(s)} ${figure(s)}`).join('; ')})` : ''}.`;
  };
  return [
    missed.length === 0
      ? `All ${judged.length} req/s targets met (median req/s ratio to the session-library baseline).`
      : `Targets missed (median req/s ratio): ${missed.map((s) => `${name(s)} ${pct(s.rpsRatio.median)} < ${pct(s.target!)}`).join('; ')}. Met: ${judged.length - missed.length} of ${judged.length}.`,
    rest(`p99 within ${pct(P99_TARGET)}`, (s) => s.p99Met, (s) => pct(s.p99Ratio.median)),
    rest(`CPU per request within ${CPU_TARGET_US} µs of the baseline`, (s) => s.cpuMet, (s) => `${signed(s.cpuDeltaUs.median)} µs`),
  ].join(' ');
}

/** The session library of each framework, for the section's preamble. */
export function librariesLine(frameworks: readonly Framework[]): string {
  return frameworks.map((f) => `${f}: ${SESSION_LIBRARIES[f]}`).join(' · ');
}
