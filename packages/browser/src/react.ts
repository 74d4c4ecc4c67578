/**
 * `useLiveSession`: the browser helper as a React hook (React 18 or 19, an optional peer
 * dependency). Import it from `@session-policy/browser/react`.
 *
 * @packageDocumentation
 */
import { useEffect, useRef, useState } from 'react';
import { rejectUnknownOptions } from './known-options.js';
import { connectLiveSession, type EndSource, type LiveSession, type LiveSessionOptions, type LiveStatus } from './live-session.js';

/**
 * Options of {@link useLiveSession}: those of `connectLiveSession` (the callbacks may
 * change between renders; the latest ones are called), with the app's own sign-in state
 * instead of `hasSession` and `autoConnect`.
 *
 * @public
 */
export interface UseLiveSessionOptions extends Omit<LiveSessionOptions, 'hasSession' | 'autoConnect' | 'onStatus'> {
  /**
   * Whether the app has a session now (its own auth state). While `false` there is no
   * connection at all; when it turns `true` the hook connects (again, after an end).
   */
  readonly signedIn: boolean;
}

/**
 * What {@link useLiveSession} gives the component: the state to render, and the actions.
 *
 * @public
 */
export interface LiveSessionState {
  /** Where the connection stands (see `LiveStatus`). */
  readonly status: LiveStatus;
  /** Why the session ended (`logout`, `evicted`, `revoked`, `idle`, …), once it has: show it. */
  readonly endReason: string | undefined;
  /** Who said so: the `server`, another `tab`, or this page (`local`). */
  readonly endSource: EndSource | undefined;
  /** The last event delivered (the names in `events`, and `message`). */
  readonly lastEvent: { readonly name: string; readonly data: unknown } | undefined;
  /**
   * This page signed out (call it once the logout request is sent): closes the
   * connection and tells every other tab.
   *
   * @param reason - default `logout`.
   */
  signOut(reason?: string): void;
  /**
   * Sends a message on the open WebSocket; `false` when none is open.
   *
   * @param data - the message.
   */
  send(data: string): boolean;
  /** Reconnects after the server closed this connection alone (`status === 'closed'`). */
  reconnect(): void;
  /**
   * This page signed in again while `signedIn` stayed `true` (a new login over an ended
   * session): clears the end, tells the other tabs and connects.
   */
  signedIn(): void;
}

interface Snapshot {
  readonly status: LiveStatus;
  readonly endReason: string | undefined;
  readonly endSource: EndSource | undefined;
  readonly lastEvent: { readonly name: string; readonly data: unknown } | undefined;
}

const IDLE: Snapshot = { status: 'idle', endReason: undefined, endSource: undefined, lastEvent: undefined };

// Typed over the hook's options, so that the list cannot drift from them.
const HOOK_NAMES = Object.keys({
  signedIn: true,
  url: true,
  stream: true,
  retry: true,
  probe: true,
  channel: true,
  transport: true,
  tabId: true,
  events: true,
  onEvent: true,
  onEnded: true,
  onStreamClosed: true,
  onSignedIn: true,
  redirect: true,
} satisfies Record<keyof UseLiveSessionOptions, true>);

/**
 * A component's live session: no connection without a session (`signedIn`), the
 * connection closed for good when the session ends — on the server, or by a sign-out in
 * any tab of the origin — and the end reason in state for the UI. Over the framework-free
 * `connectLiveSession`, one per mounted component; unmounting closes it.
 *
 * @example
 * ```ts
 * function Status({ user, setUser }: { user: string | null; setUser: (u: string | null) => void }) {
 *   const live = useLiveSession({ url: '/events', signedIn: user !== null, onEnded: () => setUser(null) });
 *   return createElement('p', null, live.endReason ? `Signed out: ${live.endReason}` : live.status);
 * }
 * ```
 * @param options - see {@link UseLiveSessionOptions}.
 * @public
 */
export function useLiveSession(options: UseLiveSessionOptions): LiveSessionState {
  rejectUnknownOptions(options, HOOK_NAMES, 'useLiveSession');
  const [snapshot, setSnapshot] = useState<Snapshot>(IDLE);
  const latest = useRef(options);
  latest.current = options;
  const session = useRef<LiveSession | undefined>(undefined);
  const { signedIn, url, stream, retry, probe, channel, transport, tabId } = options;
  const events = (options.events ?? []).join('\u0000');

  useEffect(() => {
    if (!signedIn) {
      setSnapshot((s) => (s.status === 'idle' || s.status === 'ended' ? s : { ...s, status: 'idle' }));
      return undefined;
    }
    setSnapshot(IDLE);
    const live = connectLiveSession({
      url,
      ...(stream === undefined ? {} : { stream }),
      ...(retry === undefined ? {} : { retry }),
      ...(probe === undefined ? {} : { probe }),
      ...(channel === undefined ? {} : { channel }),
      ...(transport === undefined ? {} : { transport }),
      ...(tabId === undefined ? {} : { tabId }),
      events: events === '' ? [] : events.split('\u0000'),
      hasSession: () => latest.current.signedIn,
      onStatus: (status) => setSnapshot((s) => ({ ...s, status })),
      onEvent: (name, data) => {
        setSnapshot((s) => ({ ...s, lastEvent: { name, data } }));
        latest.current.onEvent?.(name, data);
      },
      onEnded: (reason, source) => {
        setSnapshot((s) => ({ ...s, status: 'ended', endReason: reason, endSource: source }));
        latest.current.onEnded?.(reason, source);
      },
      onStreamClosed: (reason) => latest.current.onStreamClosed?.(reason),
      onSignedIn: () => latest.current.onSignedIn?.(),
      redirect: (reason, source) => {
        const redirect = latest.current.redirect;
        return typeof redirect === 'function' ? redirect(reason, source) : redirect;
      },
    });
    session.current = live;
    return () => {
      live.destroy();
      if (session.current === live) session.current = undefined;
    };
  }, [signedIn, url, stream, retry, probe, channel, transport, tabId, events]);

  return {
    ...snapshot,
    signOut: (reason) => session.current?.signOut(reason),
    send: (data) => session.current?.send(data) ?? false,
    reconnect: () => session.current?.connect(),
    signedIn: () => {
      setSnapshot((s) => ({ ...s, endReason: undefined, endSource: undefined }));
      session.current?.signedIn();
    },
  };
}
