// A WebSocket client for the tests (the `ws` library), with the device's cookies: collects
// frames, the close code and reason, or the refused handshake's status and body.
import WebSocket from 'ws';
import type { Device } from './device.js';

export interface Frame {
  readonly event: string;
  readonly data: unknown;
}

export interface WsClient {
  readonly socket: WebSocket;
  readonly frames: Frame[];
  /** Resolves with the first frame of that event (already received or to come). */
  waitFor(event: string): Promise<Frame>;
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
}

export type Refusal = { readonly status: number; readonly body: unknown };

/** Opens a WebSocket as the device: resolves once open, or with the refusal of the handshake. */
export async function openWs(base: string, who: Device | undefined, path = '/live'): Promise<WsClient | Refusal> {
  const url = base.replace(/^http/, 'ws') + path;
  const cookie = who ? await who.jar.getCookieString(base + path) : '';
  const socket = new WebSocket(url, cookie ? { headers: { Cookie: cookie } } : {});
  const frames: Frame[] = [];
  const waiters: Array<{ event: string; resolve: (f: Frame) => void }> = [];
  socket.on('message', (raw) => {
    const frame = JSON.parse(String(raw)) as Frame;
    frames.push(frame);
    for (const w of waiters.filter((w) => w.event === frame.event)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(frame);
    }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => resolve({ code, reason: String(reason) }));
  });
  let refused = false;
  return new Promise((resolve, reject) => {
    socket.once('open', () =>
      resolve({
        socket,
        frames,
        closed,
        waitFor: (event) => {
          const seen = frames.find((f) => f.event === event);
          return seen ? Promise.resolve(seen) : new Promise((r) => waiters.push({ event, resolve: r }));
        },
      }),
    );
    socket.once('unexpected-response', (_req, res) => {
      refused = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        let parsed: unknown = body;
        try {
          parsed = JSON.parse(body);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
        socket.terminate();
      });
    });
    socket.on('error', (error) => {
      if (!refused) reject(error);
    });
  });
}

export function isRefusal(value: WsClient | Refusal): value is Refusal {
  return 'status' in value;
}
