// A plain node:http server exposing one session-bound event stream, the way an adapter
// would: the request names its session in a cookie, the registry checks it, and the
// stream is opened with openEventStream (or answered with sendSessionEnded).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  LiveConnections,
  SessionRegistry,
  type LiveConnectionsOptions,
  type SessionRegistryOptions,
} from '@session-policy/core';
import { openEventStream, sendSessionEnded } from '@session-policy/core/http';

export interface StreamServer {
  readonly registry: SessionRegistry;
  readonly live: LiveConnections;
  readonly server: Server;
  /** The stream URL. */
  readonly url: string;
  /** Stream requests received so far. */
  readonly requests: () => number;
  /** The cookie header naming a session. */
  cookie(sessionId: string, user: string): Record<string, string>;
  close(): Promise<void>;
}

export async function startStreamServer(
  options: { registry?: SessionRegistry; registryOptions?: SessionRegistryOptions; live?: LiveConnectionsOptions } = {},
): Promise<StreamServer> {
  const registry = options.registry ?? new SessionRegistry(options.registryOptions);
  const live = new LiveConnections(registry, options.live);
  let requests = 0;
  const server = createServer((req, res) => {
    if (!req.url?.startsWith('/stream')) {
      res.writeHead(404).end();
      return;
    }
    requests++;
    const cookies = new Map(
      (req.headers.cookie ?? '').split(';').map((part) => {
        const [name = '', ...value] = part.trim().split('=');
        return [name, decodeURIComponent(value.join('='))] as const;
      }),
    );
    const sid = cookies.get('sid');
    const user = cookies.get('user');
    if (!sid || !user) {
      res.writeHead(401).end();
      return;
    }
    registry.check(sid, user).then((check) => {
      if (check.status === 'active') openEventStream(req, res, { connections: live, session: check.session });
      else if (check.status === 'ended') sendSessionEnded(res, check.reason);
      else res.writeHead(401).end();
    }, (error: unknown) => res.writeHead(500).end(String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    registry,
    live,
    server,
    url: `http://127.0.0.1:${port}/stream`,
    requests: () => requests,
    cookie: (sessionId, user) => ({ Cookie: `sid=${encodeURIComponent(sessionId)}; user=${encodeURIComponent(user)}` }),
    async close() {
      live.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.registry) await registry.close();
    },
  };
}
