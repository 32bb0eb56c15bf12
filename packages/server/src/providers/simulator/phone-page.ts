/**
 * The simulator's phone page (`/simulator`): a person plays any lead's phone — picks one of the
 * workspace's numbers, types the lead's phone, reads what Engage texted it and answers. It uses
 * the simulator API with the workspace API key the person types (kept in this tab's
 * sessionStorage only). Message text is untrusted: inserted with `textContent`, and the CSP allows
 * only this page's own nonce'd script and style.
 */
const STYLE = `
  :root { font-family: system-ui, sans-serif; color: #1f2933; }
  body { margin: 0; display: flex; flex-direction: column; height: 100vh; max-width: 32rem; margin-inline: auto; border-inline: 1px solid #d9e2ec; }
  header { padding: .6rem 1rem; border-bottom: 1px solid #d9e2ec; }
  header h1 { font-size: 1rem; margin: 0 0 .4rem; }
  header form { display: grid; grid-template-columns: auto 1fr; gap: .3rem .5rem; align-items: center; font-size: .85rem; }
  input, select, textarea, button { font: inherit; }
  #thread { flex: 1; overflow-y: auto; padding: 1rem; list-style: none; margin: 0; display: flex; flex-direction: column; gap: .5rem; }
  #thread li { max-width: 75%; padding: .5rem .75rem; border-radius: .75rem; white-space: pre-wrap; overflow-wrap: anywhere; }
  #thread li.received { background: #f0f4f8; align-self: flex-start; }
  #thread li.sent { background: #2680c2; color: #fff; align-self: flex-end; }
  #thread time { display: block; font-size: .7rem; opacity: .75; margin-top: .2rem; }
  #compose { display: flex; gap: .5rem; padding: .6rem 1rem; border-top: 1px solid #d9e2ec; }
  textarea { flex: 1; resize: vertical; min-height: 2.5rem; }
  #status { padding: 0 1rem; min-height: 1.2rem; font-size: .85rem; color: #b44d12; }
`;

const SCRIPT = `
const $ = (id) => document.getElementById(id);
const say = (text) => { $('status').textContent = text; };
$('key').value = sessionStorage.getItem('engage-sim-key') || '';
$('phone').value = new URLSearchParams(location.search).get('phone') || sessionStorage.getItem('engage-sim-phone') || '';
let picked = false;
$('ours').addEventListener('change', () => { picked = true; });
$('phone').addEventListener('change', () => { picked = false; });
const headers = () => ({ 'x-api-key': $('key').value.trim(), 'content-type': 'application/json' });
async function api(path, init) {
  const r = await fetch(path, { ...init, headers: headers() });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((body.error && body.error.message) || ('HTTP ' + r.status));
  return body;
}
async function loadNumbers() {
  if (!$('key').value.trim()) return;
  sessionStorage.setItem('engage-sim-key', $('key').value.trim());
  try {
    const { senderSources } = await api('api/public/engage/sender-sources');
    const chosen = $('ours').value;
    $('ours').replaceChildren(...senderSources.flatMap((s) => s.numbers.map((n) => {
      const o = document.createElement('option');
      o.value = n; o.textContent = n + ' (' + s.name + ')';
      return o;
    })));
    if (chosen) $('ours').value = chosen;
    say('');
  } catch (e) { say(e.message); }
}
async function loadThread() {
  const phone = $('phone').value.trim();
  if (!phone || !$('key').value.trim()) return;
  sessionStorage.setItem('engage-sim-phone', phone);
  try {
    const { messages } = await api('api/simulator/messages?phone=' + encodeURIComponent(phone));
    const list = $('thread');
    const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
    list.replaceChildren(...messages.map((m) => {
      const li = document.createElement('li');
      // As the phone sees it: what Engage sent arrives, what the phone sent goes out.
      li.className = m.direction === 'OUTBOUND' ? 'received' : 'sent';
      li.textContent = m.text;
      const t = document.createElement('time');
      t.dateTime = m.timestamp;
      t.textContent = (m.direction === 'OUTBOUND' ? 'From ' + m.from : 'To ' + m.to) + ' · ' + new Date(m.timestamp).toLocaleString();
      li.append(t);
      return li;
    }));
    if (atBottom) list.scrollTop = list.scrollHeight;
    // Answer the number that texted this phone last, unless the person picked one.
    const last = messages.filter((m) => m.direction === 'OUTBOUND').pop();
    if (last && !picked) $('ours').value = last.from;
  } catch (e) { say(e.message); }
}
$('setup').addEventListener('change', () => { loadNumbers().then(loadThread); });
$('setup').addEventListener('submit', (e) => { e.preventDefault(); loadNumbers().then(loadThread); });
$('compose').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    await api('api/simulator/messages', { method: 'POST', body: JSON.stringify({ from: $('phone').value.trim(), to: $('ours').value, text: $('text').value }) });
    $('text').value = '';
    say('');
    loadThread();
  } catch (err) { say(err.message); }
});
loadNumbers().then(loadThread);
setInterval(loadThread, 2000);
`;

export function simulatorPhonePage(nonce: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Engage SMS simulator</title><style nonce="${nonce}">${STYLE}</style></head><body>
<header><h1>SMS simulator — play a lead's phone</h1>
<form id="setup" autocomplete="off">
<label for="key">API key</label><input id="key" type="password" placeholder="engk_…" required>
<label for="phone">This phone</label><input id="phone" type="tel" placeholder="+1 212 555 0101" required>
<label for="ours">Texting</label><select id="ours" required></select>
</form></header>
<ol id="thread" aria-live="polite" aria-label="Messages"></ol>
<div id="status" role="status"></div>
<form id="compose"><label for="text" hidden>Message</label><textarea id="text" maxlength="1600" required placeholder="Reply as the lead (try STOP, HELP, START)"></textarea><button type="submit">Send</button></form>
<script nonce="${nonce}">${SCRIPT}</script></body></html>`;
}
