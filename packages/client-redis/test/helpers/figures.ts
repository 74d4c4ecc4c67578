// The cross-process figures of docs/client.md: N worker processes acting as alice against
// an upstream that kills a user's previous session on every login (or allows 3, for the
// pools), with and without a shared Redis coordinator. Five rounds per row; the table
// gives the median and the range of each count, as the upstream counted them.
//   node --conditions=session-policy-source --import tsx packages/client-redis/test/helpers/figures.ts
import { startRedisServer } from '@session-policy/test-helpers/redis-server';
import { startUpstream } from '../../../client/test/helpers/upstream.js';
import { runWorkers } from './workers.js';

const ROUNDS = 5;
const redis = await startRedisServer();
const rows: string[] = [];
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const cell = (values: number[]): string => {
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? String(low) : `${median(values)} (${low}–${high})`;
};

try {
  for (const mode of ['keeper', 'pool'] as const) {
    for (const processes of [2, 4]) {
      for (const coordinator of [false, true]) {
        const logins: number[] = [];
        const evictions: number[] = [];
        const failures: number[] = [];
        const peaks: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const upstream = await startUpstream({ maxSessions: mode === 'pool' ? 3 : 1, workDelay: 10 });
          try {
            const calls = 100;
            const result = await runWorkers(processes, {
              mode,
              redis: redis.url,
              upstream: upstream.url,
              coordinator,
              calls,
              max: 3,
              lease: 2000,
              prefix: `fig:${mode}:${processes}:${coordinator}:${round}:`,
            });
            logins.push(upstream.user('alice').logins);
            evictions.push(upstream.user('alice').evictions);
            failures.push(result.failures.length);
            peaks.push(upstream.peak('alice'));
          } finally {
            await upstream.close();
          }
        }
        rows.push(
          `| ${mode === 'keeper' ? 'keeper, 1 session/user' : 'pool `max: 3`, 3 sessions/user'} | ${processes} × 100 | ${coordinator ? 'Redis coordinator' : 'none'} | ${cell(logins)} | ${cell(evictions)} | ${cell(failures)} | ${cell(peaks)} |`,
        );
        console.error(rows.at(-1));
      }
    }
  }
} finally {
  await redis.stop();
}
console.log('| clients | calls | coordinator | logins | evictions | failed calls | most sessions at once |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
