import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** Options of the test upstream. */
export interface UpstreamOptions {
  /** Active sessions allowed per user; a login beyond it ends the user's oldest session. Default 1. */
  readonly maxSessions?: number;
  /** How long `GET /data` works before answering, in ms; the session must still be active at the end. Default 5. */
  readonly workDelay?: number;
  /** How long `POST /login` takes, in ms. Default 0. */
  readonly loginDelay?: number;
  /** Users and passwords. Default alice/alice-pw, bob/bob-pw. */
  readonly users?: Record<string, string>;
  /**
   * How a wrong password is answered: `status` (401, the default) or `body` (200 with
   * `{ ok: false, error: 'bad_credentials' }`, as some SSOs do).
   */
  readonly refuseWith?: 'status' | 'body';
}

/** What the upstream counted for one user. */
export interface UserCounts {
  /** Login requests for this user. */
  loginAttempts: number;
  /** Sessions created. */
  logins: number;
  /** Sessions ended by a newer login. */
  evictions: number;
  /** Logins refused for a wrong password. */
  refusedLogins: number;
  /** Sessions ended by `POST /logout`. */
  logouts: number;
}

/** What the upstream counted. */
export interface UpstreamCounts {
  /** Login requests received (good, bad or failed). */
  loginAttempts: number;
  /** Sessions created. */
  logins: number;
  /** Sessions ended by a newer login of the same user. */
  evictions: number;
  /** Sessions ended by `POST /logout`. */
  logouts: number;
  /** `GET /data` answered 200. */
  served: number;
  /** `GET /data` answered 401 (no session, or it ended while the request was in flight). */
  refused: number;
  /** Logins refused for a wrong password. */
  refusedLogins: number;
}

/** A running test upstream. */
export interface Upstream {
  readonly url: string;
  readonly counts: UpstreamCounts;
  /** Ends every session of `user` from the server side. */
  revoke(user: string): number;
  /** Makes the next `n` logins fail with 503. */
  failNextLogins(n: number): void;
  /** The user's active sessions. */
  active(user: string): number;
  /** The highest number of simultaneously active sessions the user ever had. */
  peak(user: string): number;
  /** What was counted for the user. */
  user(user: string): UserCounts;
  /**
   * Makes `POST /login` (or `/logout`) slow by `ms`, or never answer with `Infinity`
   * (until `close()`). A slow login still creates its session at the end.
   */
  setDelay(path: 'login' | 'logout', ms: number): void;
  /** Logins still waiting to be answered. */
  readonly hanging: number;
  close(): Promise<void>;
}

/**
 * A tiny real HTTP upstream that, like the SSO of seed 000, allows `maxSessions` active
 * sessions per user and ends the oldest when a user logs in again: requests still in
 * flight with the ended session fail. Sessions travel in a `sid` cookie or as a bearer
 * token.
 */
export async function startUpstream(options: UpstreamOptions = {}): Promise<Upstream> {
  const { maxSessions = 1, workDelay = 5, users = { alice: 'alice-pw', bob: 'bob-pw' }, refuseWith = 'status' } = options;
  const counts: UpstreamCounts = { loginAttempts: 0, logins: 0, evictions: 0, logouts: 0, served: 0, refused: 0, refusedLogins: 0 };
  const perUser = new Map<string, UserCounts>();
  const userCounts = (user: string): UserCounts => {
    let entry = perUser.get(user);
    if (!entry) perUser.set(user, (entry = { loginAttempts: 0, logins: 0, evictions: 0, refusedLogins: 0, logouts: 0 }));
    return entry;
  };
  const peaks = new Map<string, number>();
  const delays = { login: options.loginDelay ?? 0, logout: 0 };
  const never = new Set<() => void>();
  let hanging = 0;
  const wait = async (ms: number): Promise<void> => {
    if (ms === Infinity) return new Promise<void>((resolve) => never.add(resolve));
    if (ms > 0) await delay(ms);
  };
  const sessions = new Map<string, string>();
  const byUser = new Map<string, string[]>();
  let failing = 0;

  const end = (sid: string): void => {
    const user = sessions.get(sid);
    if (user === undefined) return;
    sessions.delete(sid);
    const list = byUser.get(user) ?? [];
    list.splice(list.indexOf(sid), 1);
  };

  const sessionOf = (req: IncomingMessage): string | undefined => {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) return auth.slice(7);
    return /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  };

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'POST' && path === '/login') {
      counts.loginAttempts++;
      const text = Buffer.concat(chunks).toString();
      const { username, password } = (
        req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')
          ? Object.fromEntries(new URLSearchParams(text))
          : JSON.parse(text || '{}')
      ) as Record<string, string>;
      if (username !== undefined) userCounts(username).loginAttempts++;
      hanging++;
      try {
        await wait(delays.login);
      } finally {
        hanging--;
      }
      if (failing > 0) {
        failing--;
        return json(res, 503, { error: 'unavailable' });
      }
      if (username === undefined || users[username] !== password) {
        counts.refusedLogins++;
        if (username !== undefined) userCounts(username).refusedLogins++;
        return refuseWith === 'body' ? json(res, 200, { ok: false, error: 'bad_credentials' }) : json(res, 401, { error: 'bad_credentials' });
      }
      const sid = randomUUID();
      sessions.set(sid, username);
      const list = byUser.get(username) ?? [];
      byUser.set(username, list);
      list.push(sid);
      counts.logins++;
      userCounts(username).logins++;
      // A new login kills the user's oldest session(s): what single-session SSOs do.
      while (list.length > maxSessions) {
        end(list[0]!);
        counts.evictions++;
        userCounts(username).evictions++;
      }
      peaks.set(username, Math.max(peaks.get(username) ?? 0, list.length));
      return json(res, 200, { ok: true, user: username, token: sid }, { 'set-cookie': `sid=${sid}; Path=/; HttpOnly` });
    }
    const sid = sessionOf(req);
    if (req.method === 'GET' && (path === '/data' || path === '/card')) {
      if (sid === undefined || !sessions.has(sid)) {
        counts.refused++;
        return json(res, 401, { error: 'session_ended' });
      }
      const user = sessions.get(sid);
      await delay(workDelay);
      // The work takes time; a session ended meanwhile kills the request, as in the seed.
      if (!sessions.has(sid)) {
        counts.refused++;
        return json(res, 401, { error: 'session_ended' });
      }
      counts.served++;
      if (path === '/card') return json(res, 200, { user, card: `student card of ${user}` });
      return json(res, 200, { user, data: `secret data for ${user}` });
    }
    if (req.method === 'POST' && path === '/logout') {
      await wait(delays.logout);
      if (sid === undefined || !sessions.has(sid)) return json(res, 401, { error: 'not_logged_in' });
      userCounts(sessions.get(sid)!).logouts++;
      end(sid);
      counts.logouts++;
      return json(res, 200, { ok: true });
    }
    json(res, 404, { error: 'not_found' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => json(res, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    revoke(user) {
      const list = [...(byUser.get(user) ?? [])];
      for (const sid of list) end(sid);
      return list.length;
    },
    failNextLogins(n) {
      failing = n;
    },
    active: (user) => byUser.get(user)?.length ?? 0,
    peak: (user) => peaks.get(user) ?? 0,
    user: (user) => ({ ...userCounts(user) }),
    setDelay(path, ms) {
      delays[path] = ms;
    },
    get hanging() {
      return hanging;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const resolveNever of never) resolveNever();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
