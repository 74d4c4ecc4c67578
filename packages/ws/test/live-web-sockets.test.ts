// LiveWebSockets on a real HTTP server with real `ws` clients, a real registry (embedded
// store) and a header-based session binding: the refusals before the upgrade (401, 409),
// the close codes, the same-tab replacement, dead peers, shutdown, and option checks.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import WebSocket from 'ws';
import {
  LiveConnections,
  SessionRegistry,
  type LiveConnectionsOptions,
} from '@session-policy/core';
import { type SessionBinding } from '@session-policy/core/http';
import { CLOSE_GOING_AWAY, CLOSE_SESSION_ENDED, CLOSE_STREAM_CLOSED, LiveWebSockets } from '@session-policy/ws';

// The session travels in `x-session: <principal>/<session id>` (a stand-in for a cookie).
const binding = (req: IncomingMessage): SessionBinding | undefined => {
  const header = req.headers['x-session'];
  if (typeof header !== 'string') return undefined;
  const [principal, id] = header.split('/');
  return { id: () => id, principalKey: () => principal, setPrincipalKey: () => undefined, destroy: () => undefined };
};

async function setup(live: LiveConnectionsOptions = {}) {
  const registry = new SessionRegistry({ maxSessions: 5 });
  const connections = new LiveConnections(registry, live);
  const sockets = new LiveWebSockets({ connections, binding, path: '/ws' });
  const server = createServer((_req, res) => res.writeHead(404).end());
  sockets.listen(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
  const open = (session: string | undefined, query = '', options: WebSocket.ClientOptions = {}) =>
    new Promise<{ socket: WebSocket; closed: Promise<[number, string]> } | { status: number; body: string }>((resolve, reject) => {
      const socket = new WebSocket(url + query, { ...options, headers: session ? { 'x-session': session } : {} });
      const closed = new Promise<[number, string]>((r) => socket.on('close', (code, reason) => r([code, String(reason)])));
      socket.once('open', () => resolve({ socket, closed }));
      socket.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
          socket.terminate();
        });
      });
      socket.on('error', (error) => {
        if (socket.readyState === WebSocket.CONNECTING) reject(error);
      });
    });
  return {
    registry,
    connections,
    open,
    async close() {
      connections.close();
      sockets.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await registry.close();
    },
  };
}

function socketOf(value: Awaited<ReturnType<Awaited<ReturnType<typeof setup>>['open']>>) {
  if ('status' in value) throw new Error(`refused: ${value.status} ${value.body}`);
  return value;
}

test('no session, an unknown one and an ended one are refused with 401 before the upgrade; an active one is bound', async (t) => {
  const s = await setup();
  t.deepEqual(await s.open(undefined), { status: 401, body: '{"error":"not_logged_in"}' });
  t.deepEqual(await s.open('alice/never-admitted'), { status: 401, body: '{"error":"session_ended","reason":"unknown"}' });
  await s.registry.admit({ principal: 'alice', sessionId: 'session-1' });
  const bound = socketOf(await s.open('alice/session-1'));
  t.is(s.connections.count({ sessionId: 'session-1' }), 1);
  const frames: unknown[] = [];
  bound.socket.on('message', (m) => frames.push(JSON.parse(String(m))));
  await s.registry.end('session-1', 'alice', 'revoked');
  t.deepEqual(await bound.closed, [CLOSE_SESSION_ENDED, 'revoked']);
  t.deepEqual(frames, [{ event: 'session_ended', data: { reason: 'revoked' } }]);
  t.is(s.connections.size, 0);
  t.deepEqual(await s.open('alice/session-1'), { status: 401, body: '{"error":"session_ended","reason":"revoked"}' });
  await s.close();
});

test('caps: reject mode refuses the handshake with 409; a same-tab socket replaces the old one (4409 "replaced")', async (t) => {
  const s = await setup({ maxPerSession: 1, onLimit: 'reject' });
  await s.registry.admit({ principal: 'bob', sessionId: 'session-b' });
  const first = socketOf(await s.open('bob/session-b', '?tab=t1'));
  t.deepEqual(await s.open('bob/session-b', '?tab=t2'), { status: 409, body: '{"error":"connection_limit","scope":"session","limit":1}' });
  const again = socketOf(await s.open('bob/session-b', '?tab=t1'));
  t.deepEqual(await first.closed, [CLOSE_STREAM_CLOSED, 'replaced']);
  t.is(s.connections.count({ sessionId: 'session-b' }), 1);
  again.socket.close();
  await again.closed;
  await s.close();
});

test('a peer that stops answering pings is terminated and detached; closing the manager closes the others with 1001', async (t) => {
  const s = await setup({ heartbeatInterval: 1_000 });
  await s.registry.admit({ principal: 'carol', sessionId: 'session-c' });
  const silent = socketOf(await s.open('carol/session-c', '?tab=silent', { autoPong: false }));
  const healthy = socketOf(await s.open('carol/session-c', '?tab=healthy'));
  const [code] = await silent.closed;
  t.is(code, 1006, 'terminated, no closing handshake');
  t.is(s.connections.count({ sessionId: 'session-c' }), 1, 'the healthy one stays');
  t.is(s.connections.stats().dead, 1);
  s.connections.close();
  t.deepEqual(await healthy.closed, [CLOSE_GOING_AWAY, 'server closing']);
  await s.close();
});

test('options are checked at construction', (t) => {
  const registry = new SessionRegistry();
  const connections = new LiveConnections(registry);
  t.throws(() => new LiveWebSockets({ connections: {} as LiveConnections, binding }), { code: 'ERR_INVALID_OPTION', message: /connections/ });
  t.throws(() => new LiveWebSockets({ connections, binding: 'x' as unknown as typeof binding }), { code: 'ERR_INVALID_OPTION', message: /binding/ });
  t.throws(() => new LiveWebSockets({ connections, binding, path: 'ws' }), { code: 'ERR_INVALID_OPTION', message: /path/ });
  t.throws(() => new LiveWebSockets({ connections, binding, server: {} as never }), { code: 'ERR_INVALID_OPTION', message: /server/ });
  t.throws(() => new LiveWebSockets({ connections, binding, pth: '/ws' } as never), { code: 'ERR_INVALID_OPTION', message: /"pth".*did you mean "path"/ });
  connections.close();
  return registry.close();
});
