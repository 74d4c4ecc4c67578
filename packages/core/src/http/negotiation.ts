/**
 * Whether a request wants HTML rather than JSON: it lists `text/html` (or XHTML) in
 * `Accept` with a higher quality than `application/json`, and does not send JSON.
 * Wildcards count for neither, so `fetch()`'s default (any type) and API clients get JSON
 * while browser navigations get HTML.
 *
 * @param accept - the `Accept` header.
 * @param contentType - the `Content-Type` header.
 * @public
 */
export function prefersHtml(accept: string | undefined, contentType?: string): boolean {
  if (!accept || (contentType !== undefined && contentType.includes('json'))) return false;
  let html = 0;
  let json = 0;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.split(';');
    const name = type.trim().toLowerCase();
    if (name !== 'text/html' && name !== 'application/xhtml+xml' && name !== 'application/json') continue;
    let q = 1;
    for (const param of params) {
      const [k, v] = param.split('=');
      if (k?.trim() === 'q' && v !== undefined) q = Number(v) || 0;
    }
    if (name === 'application/json') json = Math.max(json, q);
    else html = Math.max(html, q);
  }
  return html > json;
}
