// A "device" for the HTTP tests: a real cookie jar, JSON requests, and event streams
// opened with the jar's cookies.
import fetchCookie from 'fetch-cookie';
import { CookieJar } from 'tough-cookie';
import { openSse, type SseClient } from '../../../../packages/core/test/live/helpers/sse-client.js';

export interface Device {
  readonly jar: CookieJar;
  request(path: string, init?: { method?: string; body?: unknown }): Promise<Response>;
  login(user?: string, deviceId?: string): Promise<Response>;
  stream(tab?: string): Promise<SseClient>;
}

export function device(base: string): Device {
  const jar = new CookieJar();
  const fetchWithJar = fetchCookie(fetch, jar);
  const request: Device['request'] = (path, init = {}) =>
    fetchWithJar(base + path, {
      method: init.method ?? 'GET',
      headers: { accept: 'application/json', ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  return {
    jar,
    request,
    login: (user = 'alice', deviceId) => request('/login', { method: 'POST', body: { username: user, password: `${user}-pw`, deviceId } }),
    async stream(tab) {
      const url = `${base}/events${tab ? `?tab=${tab}` : ''}`;
      return openSse(url, { Cookie: await jar.getCookieString(url) });
    },
  };
}
