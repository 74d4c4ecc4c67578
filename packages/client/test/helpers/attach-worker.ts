// Run as a separate process: reads a detached session (JSON) from stdin, attaches it to
// a pool of its own and reads /data with it, then prints what it got and detaches again.
import { SessionPool, cookieStrategy } from '@session-policy/client';

const [url] = process.argv.slice(2);
let input = '';
for await (const chunk of process.stdin) input += String(chunk);
const pool = new SessionPool({
  max: 1,
  strategy: cookieStrategy({ baseUrl: url, loginUrl: '/login', credentials: () => ({}) }),
});
const lease = pool.attach('alice', JSON.parse(input));
const response = await lease.session.fetch('/data');
const body = (await response.json()) as unknown;
const back = lease.detach();
process.stdout.write(JSON.stringify({ body, stats: pool.stats(), back }));
await pool.close();
