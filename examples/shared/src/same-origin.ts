// Cross-site request forgery, defense in depth: the session cookie is SameSite=Lax, and
// every state-changing request (anything but GET and HEAD: sign in, log out, log out
// everywhere, revoke) must also come from this site. Browsers say where a request comes
// from in `Sec-Fetch-Site` (all current ones) or at least `Origin`; clients that send
// neither (curl, server-to-server) are not browsers a forged page can drive, and pass.

/** The request parts the check reads. */
export interface OriginHeaders {
  readonly method: string;
  readonly host: string | undefined;
  readonly origin: string | undefined;
  readonly secFetchSite: string | undefined;
}

/** Whether a state-changing request comes from another site (refuse it with 403). */
export function isCrossSite({ method, host, origin, secFetchSite }: OriginHeaders): boolean {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return false;
  // `same-origin`: our own pages; `none`: the user typed it or used a bookmark.
  if (secFetchSite !== undefined) return secFetchSite !== 'same-origin' && secFetchSite !== 'none';
  if (origin === undefined) return false;
  if (host === undefined) return true;
  try {
    return new URL(origin).host !== host;
  } catch {
    return true; // `Origin: null` (sandboxed frames, some redirects) and garbage
  }
}

/** The JSON body of the 403 answer. */
export const CROSS_SITE_ANSWER = { error: 'cross_site_request' } as const;
