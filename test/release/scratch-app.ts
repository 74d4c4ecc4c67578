// The files of the scratch app that test/release/pack.test.ts installs the tarballs into:
// one Express scenario written once and wrapped as an ES module and as CommonJS, and
// TypeScript consumers a user would write.

// Two devices of alice under `maxSessions: 1`: the second login evicts the first, whose
// next request is answered 401 with the reason, then is anonymous. Prints one JSON line.
const SCENARIO_BODY = `
async function main() {
  const registry = new SessionRegistry({ maxSessions: 1 });
  const app = express();
  app.use(express.json());
  app.use(session({ secret: 'scratch-app-secret-of-32-characters!', resave: false, saveUninitialized: false }));
  app.use(sessionPolicy({ registry }));
  app.post('/login', async (req, res) => {
    const result = await req.sessionPolicy.login(req.body.user, { deviceId: req.body.device });
    res.status(result.ok ? 200 : 409).json({ ok: result.ok, ended: result.ok ? result.ended.length : 0 });
  });
  app.get('/me', (req, res) => res.json({ user: req.sessionPolicy.session ? req.sessionPolicy.session.principalKey : null }));
  let evicted = 0;
  registry.on('evicted', () => evicted++);

  const server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  const base = 'http://127.0.0.1:' + server.address().port;
  const device = () => {
    let cookie;
    return async (method, path, body) => {
      const headers = { accept: 'application/json' };
      if (cookie) headers.cookie = cookie;
      if (body) headers['content-type'] = 'application/json';
      const response = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) });
      const set = response.headers.get('set-cookie');
      if (set) cookie = set.split(';')[0];
      return { status: response.status, ...(await response.json()) };
    };
  };
  const a = device();
  const b = device();
  const out = {};
  out.loginA = await a('POST', '/login', { user: 'alice', device: 'laptop' });
  out.meA = await a('GET', '/me');
  out.loginB = await b('POST', '/login', { user: 'alice', device: 'phone' });
  out.meAAfter = await a('GET', '/me');
  out.meB = await b('GET', '/me');
  out.meAAgain = await a('GET', '/me');
  out.evicted = evicted;
  server.close();
  await registry.close();
  process.stdout.write(JSON.stringify(out));
}
`;

/** The scenario as an ES module (`scenario.mjs`). */
export const ESM_SCENARIO = `import express from 'express';
import session from 'express-session';
import { SessionRegistry } from '@session-policy/core';
import { sessionPolicy } from '@session-policy/express';
${SCENARIO_BODY}
await main();
`;

/** The scenario as CommonJS (`scenario.cjs`), through Node's require() of ES modules. */
export const CJS_SCENARIO = `'use strict';
const express = require('express');
const session = require('express-session');
const { SessionRegistry } = require('@session-policy/core');
const { sessionPolicy } = require('@session-policy/express');
${SCENARIO_BODY}
main().catch((error) => { console.error(error); process.exitCode = 1; });
`;

// A consumer touching the public surface of the server-side packages, with no casts.
const consumerBody = (redisSource: string) => `
const registry = new SessionRegistry({ maxSessions: (_user, key) => (key.startsWith('admin:') ? 5 : 2), onLimit: 'reject', policy: leastRecentlySeen() });
const app = express();
app.use(express.json());
app.use(session({ secret: 'x'.repeat(32), resave: false, saveUninitialized: false }));
app.use(sessionPolicy({ registry, redirectTo: '/login' }));
app.post('/login', async (req, res) => {
  const result = await req.sessionPolicy.login({ id: String(req.body.user), role: 'member' });
  if (!result.ok) {
    if (result.code === 'ERR_SESSION_LIMIT') res.status(409).json({ code: result.code, devices: result.holders.map((h) => h.handle) });
    else res.status(403).json({ code: result.code });
    return;
  }
  const views: readonly SessionView[] = await req.sessionPolicy.sessions();
  res.json({ handle: result.session.handle, devices: views.length });
});
export async function checkOnce(sessionId: string): Promise<string> {
  const check = await registry.check(sessionId, 'alice');
  return check.status === 'ended' ? check.reason : check.status;
}
export function isPolicyError(error: unknown): string | undefined {
  return error instanceof SessionPolicyError ? error.code : undefined;
}
export const redisStore = (url: string): RedisSessionStore => new RedisSessionStore(${redisSource}, { prefix: 'app:sp:' });
export const keeper = new SessionKeeper({
  strategy: cookieStrategy({ baseUrl: 'https://sso.example.test', loginUrl: '/login', credentials: (user: string) => ({ username: user, password: 'pw' }) }),
});
`;

const consumer = (redisImport: string, redisSource: string) => `import express from 'express';
import session from 'express-session';
import { ${redisImport} } from '@keyv/redis';
import { SessionRegistry, SessionPolicyError, leastRecentlySeen, type SessionView } from '@session-policy/core';
import { planAdmission, type AdmitRequest } from '@session-policy/core/store';
import { HttpPolicy, type SessionBinding } from '@session-policy/core/http';
import { sessionPolicy } from '@session-policy/express';
import { RedisSessionStore } from '@session-policy/redis';
import { SessionKeeper, cookieStrategy } from '@session-policy/client';
${consumerBody(redisSource)}
// The store and adapter authors' entry points resolve too.
export { planAdmission, HttpPolicy };
export type { AdmitRequest, SessionBinding };
`;

/** A strict ES-module consumer (`consumer.mts`). */
export const ESM_CONSUMER = consumer('createKeyv', 'createKeyv(url)');

/**
 * A strict CommonJS consumer (`consumer.cts`): `import` compiles to require() of the ES
 * modules. It hands the Redis store a node-redis client: keyv's CommonJS and ES typings
 * declare two distinct `Keyv` classes, so a CommonJS `createKeyv()` does not type as the
 * store's `Keyv` (docs/many-processes.md says so).
 */
export const CJS_CONSUMER = consumer('createClient', 'createClient({ url })');

/** A page using the browser helper (`page.mts`, DOM lib, no Node types). */
export const BROWSER_CONSUMER = `import { connectLiveSession, openTabChannel, type LiveStatus } from '@session-policy/browser';
const live = connectLiveSession({ url: '/events', events: ['devices'], onEnded: (reason: string) => { document.title = reason; } });
const status: LiveStatus = live.status;
const tabs = openTabChannel('app', (message) => console.log(message));
document.querySelector('button')?.addEventListener('click', () => { live.signOut(); tabs.close(); });
export { status };
`;

/** A strict `nodenext` tsconfig for the given files (declaration files of the packages checked too). */
export function tsconfigFor(files: string[], lib: string[], types: string[]): object {
  return {
    compilerOptions: {
      target: 'ES2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      lib,
      types,
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      verbatimModuleSyntax: false,
      skipLibCheck: false,
      noEmit: true,
    },
    files,
  };
}
