import test from 'ava';
import { benchHttp } from '../http/run.js';
import { BASELINE, CONTROL, FRAMEWORKS, TARGETS, VARIANTS, VARIANT_LABELS } from '../http/variants.js';

// The quick mode end to end: real server children, real logins, real autocannon load.
// It checks that the harness produced a complete table, never a timing target.
test('quick mode measures every framework × variant and renders the whole table', async (t) => {
  t.timeout(240_000);
  const { measurements, summaries, section } = await benchHttp({ quick: true });

  t.is(measurements.length, FRAMEWORKS.length * VARIANTS.length);
  for (const framework of FRAMEWORKS) {
    for (const variant of VARIANTS) {
      const s = summaries.find((x) => x.framework === framework && x.variant === variant);
      if (!s) return t.fail(`no summary for ${framework}/${variant}`);
      t.true(s.rps.median > 0, `${framework}/${variant} req/s`);
      t.true(s.p99ms.median > 0, `${framework}/${variant} p99`);
      t.true(s.rpsRatio.median > 0 && Number.isFinite(s.rpsRatio.median), `${framework}/${variant} req/s ratio`);
      t.true(s.p99Ratio.median > 0 && Number.isFinite(s.p99Ratio.median), `${framework}/${variant} p99 ratio`);
      if (variant === BASELINE) t.is(s.rpsRatio.median, 1);
      t.is(s.target, TARGETS[variant]);
      const row = section.split('\n').find((line) => line.startsWith(`| ${framework} | ${VARIANT_LABELS[variant]} |`));
      t.truthy(row, `table row for ${framework}/${variant}`);
    }
  }
  // Each measured run really loaded a signed-in route: at least one 200 per run.
  for (const m of measurements) t.true(m.responses > 0, `${m.framework}/${m.variant} responses`);
  t.regex(section, /Command: `npm run bench:http -- --quick`/);
});

test('paired quick mode loads every variant together with the baseline and rates it against that same run', async (t) => {
  t.timeout(240_000);
  const { measurements, summaries, section } = await benchHttp({ quick: true, paired: true, control: true, frameworks: ['koa'] });
  const others = [...VARIANTS, CONTROL].filter((v) => v !== BASELINE);
  // One pair per other variant: the variant and the baseline, under one round number.
  t.is(measurements.length, 2 * others.length);
  for (const variant of others) {
    const mine = measurements.filter((m) => m.variant === variant);
    t.is(mine.length, 1, `${variant} measured once`);
    const partner = measurements.filter((m) => m.round === mine[0]!.round);
    t.deepEqual(partner.map((m) => m.variant).sort(), [BASELINE, variant].sort(), `${variant} paired with the baseline`);
    const s = summaries.find((x) => x.variant === variant)!;
    t.true(Number.isFinite(s.rpsRatio.median) && s.rpsRatio.median > 0, `${variant} req/s ratio`);
    t.truthy(section.split('\n').find((line) => line.startsWith(`| koa | ${VARIANT_LABELS[variant]} |`)), `table row for ${variant}`);
  }
  t.is(summaries.find((x) => x.variant === BASELINE)!.rounds, others.length, 'the baseline ran in every pair');
  t.regex(section, /\*\*Paired\*\*/);
});

test('the results block replaces only its own block and keeps the rest of RESULTS.md', async (t) => {
  const { mkdtemp, readFile, writeFile, rm } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const { writeResultsBlock, HEADING } = await import('../http/results-section.js');
  const dir = await mkdtemp(join(tmpdir(), 'http-results-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'RESULTS.md');
  await writeFile(path, '# Benchmark results\n\n## Eviction policies\n\npolicies text\n');
  await writeResultsBlock(path, 'first figures');
  await writeFile(path, `${await readFile(path, 'utf8')}\nReading written by hand.\n\n## Later section\n\nlater text\n`);
  await writeResultsBlock(path, 'second figures');
  const text = await readFile(path, 'utf8');
  t.true(text.startsWith('# Benchmark results\n\n## Eviction policies\n\npolicies text\n'));
  t.is(text.split(HEADING).length, 2);
  t.true(text.includes('second figures'));
  t.false(text.includes('first figures'));
  t.true(text.includes('Reading written by hand.'));
  t.true(text.trimEnd().endsWith('## Later section\n\nlater text'));
});
