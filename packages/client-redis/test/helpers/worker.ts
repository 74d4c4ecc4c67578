// One worker process of the cross-process tests: a keeper or a pool acting as alice
// against the test upstream, sharing (or not) a Redis coordinator with its siblings.
// Protocol, one JSON line each way: the worker says {"ready"}; the parent says "go";
// the worker runs its calls and says {"done", …}; the parent says "close"; the worker
// closes, says {"closed", …} and exits. In mode "hold" it takes one pooled session,
// says {"held"} and waits to be killed.
import { createInterface } from 'node:readline';
import { SessionKeeper, SessionPool, cookieStrategy, type CookieSession } from '@session-policy/client';
import { RedisCoordinator } from '@session-policy/client-redis';

interface Config {
  readonly mode: 'keeper' | 'pool' | 'hold';
  readonly redis: string;
  readonly upstream: string;
  readonly coordinator: boolean;
  readonly calls?: number;
  readonly max?: number;
  readonly lease?: number;
  readonly prefix?: string;
}

const config = JSON.parse(process.argv[2]!) as Config;
const say = (message: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(message)}\n`);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const hear = async (expected: string): Promise<void> => {
  const { value } = await lines.next();
  if (value !== expected) throw new Error(`expected "${expected}", got ${String(value)}`);
};

const coordinator = config.coordinator
  ? new RedisCoordinator({ redis: config.redis, encryptionKey: process.env.SESSION_KEY!, prefix: config.prefix ?? 'test:' })
  : undefined;
await coordinator?.connect();
const strategy = cookieStrategy({
  baseUrl: config.upstream,
  loginUrl: '/login',
  logoutUrl: '/logout',
  credentials: (user: string) => ({ username: user, password: `${user}-pw` }),
});
const read = async (session: CookieSession): Promise<string> => {
  const response = await session.fetch('/data');
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return ((await response.json()) as { user: string }).user;
};
const lease = config.lease ?? 10_000;
const client =
  config.mode === 'keeper'
    ? new SessionKeeper({ strategy, coordinator, lease, retry: { initialDelay: 5 } })
    : new SessionPool({ strategy, coordinator, lease, max: config.max ?? 1, retry: { initialDelay: 5 } });

if (config.mode === 'hold') {
  const held = await (client as SessionPool<string, CookieSession>).acquire('alice');
  await read(held.session);
  say({ held: true });
  await new Promise(() => undefined);
}

say({ ready: true });
await hear('go');
const outcomes = await Promise.allSettled(Array.from({ length: config.calls ?? 100 }, () => client.run('alice', read)));
const failures = outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => (outcome as PromiseRejectedResult).reason as { code?: string; message: string });
say({ done: true, ok: outcomes.length - failures.length, failures: failures.map((failure) => failure.code ?? failure.message), stats: client.stats() });
await hear('close');
await client.close();
await coordinator?.close();
say({ closed: true, stats: client.stats() });
process.exit(0);
