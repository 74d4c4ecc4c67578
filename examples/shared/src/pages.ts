// The examples' HTML pages: plain HTML forms and a little inline CSS, no script and no
// build step, shared by the Express, Koa and hapi examples (the live example has its own).
import type { SessionView } from '@session-policy/core';

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
form.inline, label.inline { display: inline; }
label { display: block; margin: .5rem 0; } input[type=text], input[type=password] { padding: .35rem; width: 16rem; }
button { padding: .35rem .8rem; border: 1px solid #445; border-radius: 4px; background: #f4f5f8; cursor: pointer; }
button.danger { border-color: #a33; color: #a33; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #dde; vertical-align: top; }
td.ua { max-width: 18rem; overflow-wrap: anywhere; font-size: .85rem; color: #556; }
.notice { padding: .6rem .8rem; border-radius: 4px; background: #fff4d6; border: 1px solid #e5c86a; }
.error { padding: .6rem .8rem; border-radius: 4px; background: #fde8e8; border: 1px solid #e08a8a; }
.current { font-weight: 600; color: #176b2c; }
.actions { display: flex; gap: 1.5rem; align-items: center; flex-wrap: wrap; }
`;

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>${body}</body></html>`;
}

function time(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

function notice(text: string | undefined): string {
  return text ? `<p class="notice" role="status">${escapeHtml(text)}</p>` : '';
}

/** What a sign-in that signed other devices out tells the device that signed in. */
export function signedOutNotice(devices: readonly string[] | undefined): string | undefined {
  if (!devices || devices.length === 0) return undefined;
  return `Signing in here signed out ${devices.map((d) => `"${d}"`).join(' and ')}: the account allows only so many devices at once.`;
}

/**
 * The login form (anonymous visitors). `ended` is why this device was signed out, in
 * words (see end-messages.ts: never text taken from the URL).
 */
export function loginPage(options: { ended?: string | undefined; error?: string | undefined } = {}): string {
  return page(
    'Sign in',
    `<h1>Sign in</h1>
${notice(options.ended)}
${options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ''}
<form method="post" action="/login">
  <label>User name <input type="text" name="username" autocomplete="username" required></label>
  <label>Password <input type="password" name="password" autocomplete="current-password" required></label>
  <label>Device name (optional) <input type="text" name="deviceId" placeholder="laptop, phone…"></label>
  <button type="submit">Sign in</button>
</form>
<p>Try alice / alice-pw, bob / bob-pw or carol / carol-pw.</p>`,
  );
}

/**
 * "Your devices": the signed-in user's sessions with revoke buttons and the log-out forms.
 * `notice`: what this device's sign-in did (which devices it signed out).
 */
export function devicesPage(options: { user: string; sessions: readonly SessionView[]; notice?: string | undefined }): string {
  const rows = options.sessions
    .map(
      (s) => `<tr>
  <td>${escapeHtml(s.deviceId ?? '—')}</td><td class="ua">${escapeHtml(s.userAgent ?? '—')}</td><td>${escapeHtml(s.ip ?? '—')}</td>
  <td>${time(s.createdAt)}</td><td>${time(s.lastSeenAt)}</td>
  <td>${
    s.current
      ? '<span class="current">this device</span>'
      : `<form class="inline" method="post" action="/sessions/${escapeHtml(s.handle)}/revoke"><button class="danger" type="submit">Revoke</button></form>`
  }</td>
</tr>`,
    )
    .join('\n');
  return page(
    'Your devices',
    `<h1>Signed in as ${escapeHtml(options.user)}</h1>
${notice(options.notice)}
<h2>Your devices</h2>
<table>
<thead><tr><th>Device</th><th>User agent</th><th>IP</th><th>Created (UTC)</th><th>Last seen (UTC)</th><th></th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<div class="actions">
<form method="post" action="/logout"><button type="submit">Log out</button></form>
<form method="post" action="/logout-everywhere">
  <input type="hidden" name="keepCurrent" value="true">
  <button class="danger" type="submit">Log out my other devices</button>
</form>
<form method="post" action="/logout-everywhere">
  <input type="hidden" name="keepCurrent" value="false">
  <button class="danger" type="submit">Log out everywhere, this device too</button>
</form>
</div>`,
  );
}

/**
 * The answer to a login refused by the limit (reject mode): the devices holding the slots,
 * each with a button that signs in again, signing that device out first. The form carries
 * a short-lived signed login ticket (see notices.ts), never the password.
 */
export function limitPage(options: { username: string; ticket: string; limit: number; holders: readonly SessionView[] }): string {
  const hidden = `<input type="hidden" name="ticket" value="${escapeHtml(options.ticket)}">`;
  const rows = options.holders
    .map(
      (s) => `<tr><td>${escapeHtml(s.deviceId ?? '—')}</td><td class="ua">${escapeHtml(s.userAgent ?? '—')}</td>
  <td>${time(s.lastSeenAt)}</td>
  <td><form class="inline" method="post" action="/login">${hidden}
    <input type="hidden" name="signOut" value="${escapeHtml(s.handle)}">
    <button class="danger" type="submit">Sign this device out and sign in here</button></form></td></tr>`,
    )
    .join('\n');
  return page(
    'Too many devices',
    `<h1>Sign out another device?</h1>
<p class="error" role="alert">${escapeHtml(options.username)} is already signed in on ${options.holders.length} device(s), the most allowed (${options.limit}).</p>
<table>
<thead><tr><th>Device</th><th>User agent</th><th>Last seen (UTC)</th><th></th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p><a href="/">Cancel</a></p>`,
  );
}
