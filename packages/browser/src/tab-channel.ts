/**
 * A message between the tabs of one origin.
 *
 * - `signed-out`: this browser's session ended (logout here, or the server said so);
 *   `reason` says why.
 * - `signed-in`: a tab signed in again; signed-out tabs may reload.
 *
 * @public
 */
export type TabMessage = { readonly type: 'signed-out'; readonly reason: string } | { readonly type: 'signed-in' };

/**
 * How tabs talk: `BroadcastChannel` when the browser has it, otherwise `storage` events
 * (a `localStorage` write is seen by every other tab of the origin).
 *
 * @public
 */
export type TabTransport = 'broadcast-channel' | 'storage';

/**
 * A channel to every other tab of the same origin (never echoes to the sender).
 *
 * @public
 */
export interface TabChannel {
  /** The transport in use. */
  readonly transport: TabTransport;
  /** Sends a message to every other tab. */
  post(message: TabMessage): void;
  /** Stops listening. Idempotent. */
  close(): void;
}

/**
 * Opens a channel to the other tabs of this origin.
 *
 * @param name - the channel name (also the `localStorage` key of the fallback).
 * @param onMessage - called with each message from another tab.
 * @param transport - force a transport; default: `BroadcastChannel` when available.
 * @public
 */
export function openTabChannel(name: string, onMessage: (message: TabMessage) => void, transport?: TabTransport): TabChannel {
  const chosen: TabTransport = transport ?? (typeof BroadcastChannel === 'function' ? 'broadcast-channel' : 'storage');
  if (chosen === 'broadcast-channel') {
    const channel = new BroadcastChannel(name);
    channel.onmessage = (event: MessageEvent) => {
      const message = parse(event.data);
      if (message) onMessage(message);
    };
    return {
      transport: chosen,
      post: (message) => channel.postMessage(message),
      close: () => channel.close(),
    };
  }
  const onStorage = (event: StorageEvent): void => {
    if (event.key !== name || event.newValue === null) return;
    let value: unknown;
    try {
      value = JSON.parse(event.newValue);
    } catch {
      return;
    }
    const message = parse(value);
    if (message) onMessage(message);
  };
  window.addEventListener('storage', onStorage);
  return {
    transport: chosen,
    post: (message) => {
      try {
        // A unique value every time, so that repeating a message still fires the event;
        // removing it at once leaves nothing behind (the removal's event carries null).
        localStorage.setItem(name, JSON.stringify({ ...message, nonce: `${Date.now()}-${Math.random()}` }));
        localStorage.removeItem(name);
      } catch {
        // Storage disabled (private mode quotas): other tabs learn from the server instead.
      }
    },
    close: () => window.removeEventListener('storage', onStorage),
  };
}

function parse(value: unknown): TabMessage | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { type, reason } = value as { type?: unknown; reason?: unknown };
  if (type === 'signed-in') return { type };
  if (type === 'signed-out') return { type, reason: typeof reason === 'string' ? reason : 'logout' };
  return undefined;
}
