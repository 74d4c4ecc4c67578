// The placeholders the docs' TypeScript blocks leave to the reader, declared once for the
// doc-block type-check (test/docs/code-blocks.test.ts). Everything else a block uses it
// imports or declares itself, as a reader's file would.
import type { Express } from 'express';
import type { SessionRegistry, SessionStore } from '@session-policy/core';
import type { CookieSession, SessionStrategy } from '@session-policy/client';

declare global {
  /** The signed-in user, as the app knows it. */
  const user: { id: string; role: string };
  /** The request's session id (a cookie session's id, a JWT's `jti`). */
  const sessionId: string;
  /** The device a login comes from. */
  const deviceId: string;
  /** The session cookie's secret. */
  const secret: string;
  /** @hapi/cookie's password (at least 32 characters). */
  const cookiePassword: string;
  /** The app's password check: the user, or it throws. */
  function checkPassword(credentials: unknown): Promise<{ id: string }>;
  /** A password from the app's secret store. */
  function passwordOf(user: string): string;
  /** The app's Express application. */
  const app: Express;
  /** The app's registry. */
  const registry: SessionRegistry;
  /** The app's logger. */
  function log(...values: unknown[]): void;
  /** Renders the "sign out another device?" page. */
  function showDevices(holders: readonly unknown[]): void;
  /** Sends the user to the sign-in page with a reason. */
  function bounce(reason: string): void;
  /** The app's own bookkeeping of open connections. */
  function closeLiveConnections(session: unknown): void;
  /** The reader's own store (docs/guide.md, the conformance suite's README). */
  const MyStore: new () => SessionStore;
  /** docs/client.md: the cookie strategy of its § 1, which the later blocks use. */
  const strategy: SessionStrategy<string, CookieSession>;
  // docs/client.md: an upstream ERP's SDK and the app's secret store.
  const vault: { get(user: string): string };
  const settings: Record<string, unknown>;
  class ErpClient {
    constructor(settings: Record<string, unknown>);
    login(user: string, password: string, options: { signal: AbortSignal }): Promise<void>;
    logout(): Promise<void>;
    [key: string]: any;
  }
  class InvalidAuthorization extends Error {}
  class ErpSessionExpired extends Error {}
}
