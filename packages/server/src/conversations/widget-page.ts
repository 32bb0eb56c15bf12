/**
 * The first agent widget (`/engage?key=`): the thread, a composer and a disposition picker, in
 * plain HTML and script. Everything a lead or a CSV wrote is inserted with `textContent`, never
 * as HTML, and the CSP allows only this page's own nonce'd script. The full React widget replaces
 * this page in its own issue.
 */
const STYLE = `
  :root { font-family: system-ui, sans-serif; color: #1f2933; }
  body { margin: 0; display: flex; flex-direction: column; height: 100vh; }
  header { padding: .6rem 1rem; border-bottom: 1px solid #d9e2ec; display: flex; justify-content: space-between; gap: 1rem; }
  header h1 { font-size: 1rem; margin: 0; }
  #thread { flex: 1; overflow-y: auto; padding: 1rem; list-style: none; margin: 0; display: flex; flex-direction: column; gap: .5rem; }
  #thread li { max-width: 75%; padding: .5rem .75rem; border-radius: .75rem; white-space: pre-wrap; overflow-wrap: anywhere; }
  #thread li.INBOUND { background: #f0f4f8; align-self: flex-start; }
  #thread li.OUTBOUND { background: #2680c2; color: #fff; align-self: flex-end; }
  #thread time { display: block; font-size: .7rem; opacity: .75; margin-top: .2rem; }
  form { display: flex; gap: .5rem; padding: .6rem 1rem; border-top: 1px solid #d9e2ec; align-items: center; }
  textarea { flex: 1; resize: vertical; min-height: 2.5rem; font: inherit; }
  #status { padding: 0 1rem; min-height: 1.2rem; font-size: .85rem; color: #b44d12; }
`;

const SCRIPT = `
const key = new URLSearchParams(location.search).get('key') || '';
const q = '?key=' + encodeURIComponent(key);
const $ = (id) => document.getElementById(id);
function say(text) { $('status').textContent = text; }
function render(conv) {
  const d = conv.data;
  $('title').textContent = d.campaign.name;
  $('who').textContent = d.lead.phone + (d.lead.disposition ? ' · ' + d.lead.disposition : '');
  const list = $('thread');
  list.replaceChildren(...d.messages.map((m) => {
    const li = document.createElement('li');
    li.className = m.direction === 'INBOUND' ? 'INBOUND' : 'OUTBOUND';
    li.textContent = m.message;
    const t = document.createElement('time');
    t.dateTime = m.timestamp;
    t.textContent = (m.direction === 'INBOUND' ? 'Lead' : 'Us') + ' · ' + new Date(m.timestamp).toLocaleString();
    li.append(t);
    return li;
  }));
  list.scrollTop = list.scrollHeight;
  const select = $('disposition');
  const chosen = select.value;
  select.replaceChildren(...d.dispositions.map((x) => {
    const o = document.createElement('option');
    o.value = x.disposition; o.textContent = x.disposition;
    return o;
  }));
  if (chosen) select.value = chosen;
}
async function load() {
  const r = await fetch('api/public/engage/conversation' + q);
  if (r.ok) render(await r.json()); else say((await r.json()).error.message);
}
async function post(path, field, value) {
  const r = await fetch(path + q, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ [field]: value }) });
  const body = await r.json();
  if (!r.ok) { say(body.error.message); return false; }
  say(''); return true;
}
$('compose').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (await post('api/public/engage/conversation/send', 'message', $('message').value)) { $('message').value = ''; $('count').textContent = '0'; load(); }
});
$('message').addEventListener('input', () => { $('count').textContent = String($('message').value.length); });
$('dispose').addEventListener('submit', async (e) => {
  e.preventDefault();
  const v = $('disposition').value;
  if (v && confirm('Set the final disposition "' + v + '"?') && await post('api/public/engage/conversation/disposition', 'disposition', v)) load();
});
load();
setInterval(load, 3000);
`;

export function widgetPage(nonce: string, validKey: boolean): string {
  const body = validKey
    ? `<header><h1 id="title">Conversation</h1><span id="who"></span></header>
<ol id="thread" aria-live="polite" aria-label="Messages"></ol>
<div id="status" role="status"></div>
<form id="compose"><label for="message" class="sr">Message</label><textarea id="message" name="message" maxlength="1600" required></textarea><span id="count" aria-label="characters">0</span><button type="submit">Send</button></form>
<form id="dispose"><label for="disposition">Disposition</label><select id="disposition" name="disposition"></select><button type="submit">Set disposition</button></form>
<script nonce="${nonce}">${SCRIPT}</script>`
    : `<header><h1>Conversation unavailable</h1></header><p style="padding:1rem">This conversation link is invalid or has been revoked.</p>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Engage conversation</title><style nonce="${nonce}">${STYLE}</style></head><body>${body}</body></html>`;
}
