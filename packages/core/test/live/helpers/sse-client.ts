// A minimal Server-Sent Events reader over node:http for the tests: it records every
// event, comment and retry field, and tells when the server ends the stream.
import { request, type IncomingHttpHeaders } from 'node:http';

export interface ReceivedEvent {
  readonly event: string;
  readonly data: unknown;
}

export interface SseClient {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The raw body received so far. */
  readonly raw: () => string;
  readonly events: ReceivedEvent[];
  readonly comments: string[];
  readonly retries: number[];
  /** Resolves when the server ends the response (or the socket closes). */
  readonly ended: Promise<void>;
  /** `true` once the response has ended. */
  readonly isEnded: () => boolean;
  /** Waits for an event with this name (already received or to come). */
  waitFor(event: string, timeout?: number): Promise<ReceivedEvent>;
  /** Waits until `count` comments were received. */
  waitForComments(count: number, timeout?: number): Promise<void>;
  /** Drops the connection from the client side. */
  destroy(): void;
}

export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Accept: 'text/event-stream', ...headers } });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      let buffer = '';
      let ended = false;
      const events: ReceivedEvent[] = [];
      const comments: string[] = [];
      const retries: number[] = [];
      const waiters = new Set<() => void>();
      const notify = () => {
        for (const w of [...waiters]) w();
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data: string | undefined;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data = (data === undefined ? '' : data + '\n') + line.slice(6);
            else if (line.startsWith('retry: ')) retries.push(Number(line.slice(7)));
          }
          if (data !== undefined) events.push({ event, data: JSON.parse(data) as unknown });
        }
        notify();
      });
      const endedPromise = new Promise<void>((done) => {
        const finish = () => {
          ended = true;
          notify();
          done();
        };
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
      });
      const until = <T>(found: () => T | undefined, what: string, timeout: number): Promise<T> =>
        new Promise((ok, fail) => {
          const check = () => {
            const value = found();
            if (value !== undefined) {
              waiters.delete(check);
              clearTimeout(timer);
              ok(value);
            } else if (ended) {
              waiters.delete(check);
              clearTimeout(timer);
              fail(new Error(`stream ended before ${what}; received: ${body}`));
            }
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            fail(new Error(`timed out waiting for ${what}; received: ${body}`));
          }, timeout);
          waiters.add(check);
          check();
        });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        raw: () => body,
        events,
        comments,
        retries,
        ended: endedPromise,
        isEnded: () => ended,
        waitFor: (event, timeout = 10_000) => until(() => events.find((e) => e.event === event), `event "${event}"`, timeout),
        waitForComments: (count, timeout = 10_000) => until(() => (comments.length >= count ? true : undefined), `${count} comments`, timeout).then(() => undefined),
        destroy: () => {
          req.destroy();
        },
      });
    });
    req.end();
  });
}
