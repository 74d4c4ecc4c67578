import makeFetchCookie from 'fetch-cookie';
import { CookieJar } from 'tough-cookie';

/** An answer, with its body parsed when it is JSON. */
export interface Answer {
  readonly status: number;
  readonly location: string | null;
  readonly type: string;
  readonly text: string;
  // Tests read fields of JSON answers freely.
  readonly json: any;
}

/**
 * A browser-like HTTP client: a real cookie jar (tough-cookie through fetch-cookie),
 * redirects not followed (the tests look at them), a user agent of its own.
 */
export class Client {
  readonly jar = new CookieJar();
  readonly #fetch: typeof fetch;

  constructor(
    readonly base: string,
    readonly userAgent = 'scenario-client/1.0',
  ) {
    this.#fetch = makeFetchCookie(fetch, this.jar) as unknown as typeof fetch;
  }

  /** A JSON API call (`Accept: application/json`, JSON body). */
  api(method: string, path: string, body?: unknown): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.userAgent };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return this.#send(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  }

  /** A browser navigation or form post (`Accept: text/html`, urlencoded body). */
  page(method: string, path: string, form?: Record<string, string>, extraHeaders: Record<string, string> = {}): Promise<Answer> {
    const headers: Record<string, string> = {
      accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
      'user-agent': this.userAgent,
      ...extraHeaders,
    };
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    return this.#send(path, { method, headers, ...(form ? { body: new URLSearchParams(form).toString() } : {}) });
  }

  /** Logs in through the JSON API. */
  login(username: string, deviceId?: string, extra: Record<string, unknown> = {}): Promise<Answer> {
    return this.api('POST', '/login', { username, password: `${username}-pw`, ...(deviceId ? { deviceId } : {}), ...extra });
  }

  /** The `Cookie` header this client sends. */
  cookies(): Promise<string> {
    return this.jar.getCookieString(this.base);
  }

  /** Copies a `Cookie` header into this client's jar (replaying another client's cookies). */
  async setCookies(header: string): Promise<void> {
    for (const pair of header.split('; ')) if (pair) await this.jar.setCookie(pair, this.base);
  }

  async #send(path: string, init: RequestInit): Promise<Answer> {
    const response = await this.#fetch(new URL(path, this.base), { ...init, redirect: 'manual' });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return { status: response.status, location: response.headers.get('location'), type, text, json: type.includes('json') ? JSON.parse(text) : undefined };
  }
}

/** A request with a hand-made `Cookie` header and no jar. */
export async function rawGet(base: string, path: string, cookie: string, accept = 'application/json'): Promise<Answer> {
  const response = await fetch(new URL(path, base), { headers: { cookie, accept }, redirect: 'manual' });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, location: response.headers.get('location'), type, text, json: type.includes('json') ? JSON.parse(text) : undefined };
}

/** A Server-Sent Events stream read as text, as an `EventSource` would receive it. */
export interface OpenStream {
  readonly status: number;
  readonly type: string;
  /** Waits until the text received so far matches `pattern` (fails after `timeoutMs`); returns it. */
  until(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the server has ended the stream. */
  readonly ended: Promise<void>;
  /** Drops the connection from the client side. */
  cancel(): Promise<void>;
}

/** Opens `path` as an event stream with a hand-made `Cookie` header. */
export async function openStream(base: string, path: string, cookie: string): Promise<OpenStream> {
  const abort = new AbortController();
  const response = await fetch(new URL(path, base), { headers: { cookie, accept: 'text/event-stream' }, signal: abort.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let done = false;
  let wake: () => void = () => {};
  const ended = (async () => {
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += decoder.decode(chunk.value, { stream: true });
        wake();
      }
    } catch {
      // cancelled by the client
    }
    done = true;
    wake();
  })();
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    ended,
    async until(pattern, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text)) {
        if (done) throw new Error(`the stream ended without ${pattern}; it said: ${JSON.stringify(text)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no ${pattern} within ${timeoutMs} ms; the stream said: ${JSON.stringify(text)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      return text;
    },
    async cancel() {
      abort.abort();
      await ended;
    },
  };
}
