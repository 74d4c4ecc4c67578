// The live example's two pages: a login form, and the live page (status line, your
// devices, live events, over an event stream or, with ?stream=ws, a WebSocket), whose
// script uses @session-policy/browser served from BROWSER_ASSETS. No build step.
import { BROWSER_ASSETS, SOCKET_IO_CLIENT } from './browser-assets.js';

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
label { display: block; margin: .5rem 0; } input[type=text], input[type=password] { padding: .35rem; width: 16rem; }
button { padding: .35rem .8rem; border: 1px solid #445; border-radius: 4px; background: #f4f5f8; cursor: pointer; }
button:disabled { opacity: .5; cursor: default; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #dde; vertical-align: top; }
td.ua { max-width: 18rem; overflow-wrap: anywhere; font-size: .85rem; color: #556; }
#status { display: inline-block; padding: .3rem .7rem; border-radius: 4px; background: #e8f0fe; border: 1px solid #9bb7e8; }
#status[data-status=open] { background: #e4f6e8; border-color: #8ccf9b; }
#status[data-status=ended], #status[data-status=closed] { background: #fde8e8; border-color: #e08a8a; }
.notice { padding: .6rem .8rem; border-radius: 4px; background: #fff4d6; border: 1px solid #e5c86a; }
.error { padding: .6rem .8rem; border-radius: 4px; background: #fde8e8; border: 1px solid #e08a8a; }
#events { font: 13px/1.4 ui-monospace, monospace; max-height: 18rem; overflow: auto; background: #f7f8fa; padding: .5rem 2rem; }
.actions { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
.current { font-weight: 600; color: #176b2c; }
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

// A stable id for this browser (a "device"), kept in localStorage and sent at login.
const DEVICE_ID_SCRIPT = `
let id = localStorage.getItem('device-id');
if (!id) { id = 'device-' + crypto.getRandomValues(new Uint32Array(2)).join('-'); localStorage.setItem('device-id', id); }
for (const input of document.querySelectorAll('input[name=deviceId]')) input.value = id;`;

/** The login form; `ended` says why the last session ended, in words (never text from the URL). */
export function loginPage(options: { ended?: string | undefined; error?: string | undefined } = {}): string {
  return page(
    'Sign in — live example',
    `<h1>Sign in</h1>
${options.ended ? `<p class="notice" role="status">${escapeHtml(options.ended)}</p>` : ''}
${options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ''}
<form method="post" action="/login" id="login">
  <label>User name <input type="text" name="username" autocomplete="username" required></label>
  <label>Password <input type="password" name="password" autocomplete="current-password" required></label>
  <input type="hidden" name="deviceId">
  <button type="submit">Sign in</button>
</form>
<p>Try alice / alice-pw in two browsers: with one session allowed, the second sign-in ends the first one's page, live.</p>
<script type="module">${DEVICE_ID_SCRIPT}</script>`,
  );
}

/** The live page of a signed-in user. */
export function livePage(user: string): string {
  return page(
    `${user} — live example`,
    `<h1>Signed in as ${escapeHtml(user)}</h1>
<p>Stream: <span id="status" data-status="idle" role="status" aria-live="polite">starting</span>
  <a id="again" href="/" hidden>Sign in again</a> <button id="reconnect" hidden>Reconnect</button></p>
<div class="actions">
  <button id="logout" class="control">Log out</button>
  <button id="logout-others" class="control">Log out my other devices</button>
  <button id="logout-everywhere" class="control">Log out everywhere, this device too</button>
</div>
<h2>Your devices</h2>
<table><thead><tr><th>Device</th><th>User agent</th><th>IP</th><th>Signed in</th><th>Last seen</th><th>Live streams</th><th></th></tr></thead>
<tbody id="devices"></tbody></table>
<h2>Send to my devices</h2>
<form id="notify" class="actions"><input type="text" name="message" class="control" placeholder="a message" required><button class="control">Send</button></form>
<h2>Live events</h2>
<ol id="events"></ol>
<script type="module">
import { connectLiveSession, watchSocketIoSession } from '${BROWSER_ASSETS}index.js';
const $ = (id) => document.getElementById(id);
const time = (ms) => new Date(ms).toLocaleTimeString();
const log = (name, data) => {
  const li = document.createElement('li');
  li.textContent = time(Date.now()) + '  ' + name + '  ' + JSON.stringify(data);
  $('events').prepend(li);
};
const cell = (text, className) => {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
};
const renderDevices = (sessions) => {
  const rows = sessions.map((s) => {
    const tr = document.createElement('tr');
    tr.dataset.handle = s.handle;
    tr.append(cell(s.deviceId ?? '—'), cell(s.userAgent ?? '—', 'ua'), cell(s.ip ?? '—'), cell(time(s.createdAt)), cell(time(s.lastSeenAt)), cell(String(s.streams)));
    const action = document.createElement('td');
    if (s.current) action.append(cell('this device', 'current').firstChild);
    else {
      const revoke = document.createElement('button');
      revoke.textContent = 'Revoke';
      revoke.className = 'control';
      revoke.onclick = () => fetch('/api/sessions/' + encodeURIComponent(s.handle), { method: 'DELETE' });
      action.append(revoke);
    }
    tr.append(action);
    return tr;
  });
  $('devices').replaceChildren(...rows);
};
// ?stream=ws: the same page over a WebSocket (/live) instead of the event stream; after
// a failed handshake the helper asks /api/me whether the session is over (401) or the
// network failed. ?stream=socket.io: over socket.io, watched by watchSocketIoSession.
const mode = new URLSearchParams(location.search).get('stream');
const handlers = {
  onStatus: (status) => {
    $('status').dataset.status = status;
    if (status !== 'ended' && status !== 'closed') $('status').textContent = status === 'open' ? 'live' : status;
  },
  onEvent: (name, data) => {
    log(name, data);
    if (name === 'devices') renderDevices(data.sessions);
  },
  onEnded: (reason, source) => {
    $('status').textContent = 'signed out: ' + reason;
    document.body.dataset.ended = reason;
    log('session_ended', { reason, source });
    for (const control of document.querySelectorAll('.control')) control.disabled = true;
    $('again').hidden = false;
  },
  onStreamClosed: (reason) => {
    $('status').textContent = 'stream closed: ' + reason;
    log('stream_closed', { reason });
    $('reconnect').hidden = false;
  },
};
async function socketIoSession() {
  const { io } = await import('${SOCKET_IO_CLIENT}');
  const socket = io({ query: { tab: 'tab-' + crypto.getRandomValues(new Uint32Array(2)).join('-') }, reconnectionDelay: 1000 });
  let status = 'idle';
  const set = (next) => { status = next; handlers.onStatus(next); };
  set('connecting');
  socket.on('connect', () => set('open'));
  socket.onAny((name, data) => { if (name !== 'session_ended' && name !== 'stream_closed') handlers.onEvent(name, data); });
  const watch = watchSocketIoSession(socket, {
    probe: '/api/me',
    onEnded: (reason, source) => { set('ended'); handlers.onEnded(reason, source); },
    onStreamClosed: (reason) => { set('closed'); handlers.onStreamClosed(reason); },
  });
  return { socket, get status() { return status; }, get endReason() { return watch.endReason; }, signOut: (reason) => watch.signOut(reason), send: () => false, connect: () => socket.connect() };
}
const live = mode === 'socket.io'
  ? await socketIoSession()
  : connectLiveSession({ url: mode === 'ws' ? '/live' : '/events', stream: mode === 'ws' ? 'websocket' : 'sse', probe: '/api/me', events: ['hello', 'devices', 'notice'], ...handlers });
window.live = live;
$('reconnect').onclick = () => { $('reconnect').hidden = true; live.connect(); };
const post = (url, body) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body ?? {}) });
$('logout').onclick = async () => {
  await post('/logout');
  live.signOut('logout');
};
$('logout-others').onclick = () => post('/logout-everywhere', { keepCurrent: true });
$('logout-everywhere').onclick = async () => {
  await post('/logout-everywhere', { keepCurrent: false });
  live.signOut('logout');
};
$('notify').onsubmit = async (event) => {
  event.preventDefault();
  const input = event.target.elements.message;
  if (!live.send(input.value)) await post('/api/notify', { message: input.value });
  input.value = '';
};
</script>`,
  );
}
