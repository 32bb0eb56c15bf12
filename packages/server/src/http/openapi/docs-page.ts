/**
 * The API reference page at /docs: a small self-contained renderer of /api/openapi.json (no CDN,
 * no build step). Every text is set with textContent, never parsed as HTML.
 */
export function docsPage(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Engage API reference</title>
<link rel="icon" href="data:,">
<style nonce="${nonce}">
  body { margin: 0; font: 15px/1.5 system-ui, sans-serif; color: #1d2433; display: flex; }
  nav { width: 290px; height: 100vh; overflow: auto; position: sticky; top: 0; background: #f5f6f8; border-right: 1px solid #dde1e8; padding: 12px; box-sizing: border-box; flex: none; }
  nav input { width: 100%; padding: 6px 8px; box-sizing: border-box; margin-bottom: 8px; }
  nav h3 { font-size: 12px; text-transform: uppercase; color: #5b6475; margin: 14px 0 4px; }
  nav a { display: block; color: inherit; text-decoration: none; padding: 2px 4px; border-radius: 4px; font-size: 13px; }
  nav a:hover { background: #e6e9ef; }
  main { padding: 20px 36px; max-width: 980px; overflow: auto; }
  section.op { border-top: 1px solid #e3e6eb; padding: 18px 0; }
  .m { display: inline-block; min-width: 58px; text-align: center; font: 600 12px monospace; border-radius: 4px; padding: 2px 6px; color: #fff; margin-right: 8px; }
  .get { background: #2b7bb9; } .post { background: #2f9e44; } .patch { background: #c77c02; } .put { background: #7950f2; } .delete { background: #c92a2a; }
  .path { font: 600 15px monospace; }
  pre { background: #0f1726; color: #e6edf3; padding: 10px 12px; border-radius: 6px; overflow: auto; font-size: 12.5px; }
  code { background: #eef0f4; padding: 0 3px; border-radius: 3px; }
  table { border-collapse: collapse; font-size: 13px; } td, th { border: 1px solid #e0e3e8; padding: 3px 8px; text-align: left; vertical-align: top; }
  .sec { color: #5b6475; font-size: 13px; }
  details summary { cursor: pointer; color: #5b6475; font-size: 13px; }
</style>
</head>
<body>
<nav><strong>Engage API</strong><input id="filter" placeholder="Filter endpoints…" aria-label="Filter endpoints"><div id="toc"></div></nav>
<main id="main"><p>Loading /api/openapi.json…</p></main>
<script nonce="${nonce}">
(function () {
  var main = document.getElementById('main'), toc = document.getElementById('toc');
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  /** Text with \`code\` spans, built as nodes. */
  function prose(text) {
    var p = el('p');
    String(text || '').split('\`').forEach(function (part, i) { p.appendChild(i % 2 ? el('code', { text: part }) : document.createTextNode(part)); });
    return p;
  }
  function json(v) { return el('pre', { text: typeof v === 'string' ? v : JSON.stringify(v, null, 2) }); }
  function media(content) {
    var out = [];
    Object.keys(content || {}).forEach(function (type) {
      var m = content[type];
      out.push(el('div', { class: 'sec', text: type }));
      if (m.example !== undefined) out.push(json(m.example));
      if (m.examples) Object.keys(m.examples).forEach(function (k) { out.push(json(m.examples[k].value)); });
      if (m.schema) out.push(el('details', {}, [el('summary', { text: 'Schema' }), json(m.schema)]));
    });
    return out;
  }
  function operation(id, method, path, op) {
    var s = el('section', { class: 'op', id: id });
    s.appendChild(el('h2', {}, [el('span', { class: 'm ' + method, text: method.toUpperCase() }), el('span', { class: 'path', text: path })]));
    if (op.summary) s.appendChild(el('strong', { text: op.summary }));
    if (op.description) s.appendChild(prose(op.description));
    if (op.security) s.appendChild(el('div', { class: 'sec', text: 'Auth: ' + op.security.map(function (x) { return Object.keys(x).join('+'); }).join(' or ') }));
    if (op.parameters && op.parameters.length) {
      var t = el('table', {}, [el('tr', {}, ['Parameter', 'In', 'Required', 'Description'].map(function (h) { return el('th', { text: h }); }))]);
      op.parameters.forEach(function (p) {
        t.appendChild(el('tr', {}, [el('td', {}, [el('code', { text: p.name })]), el('td', { text: p.in }), el('td', { text: p.required ? 'yes' : 'no' }),
          el('td', { text: (p.description || (p.schema && p.schema.description) || '') + (p.example !== undefined ? ' e.g. ' + p.example : '') })]));
      });
      s.appendChild(t);
    }
    if (op.requestBody) { s.appendChild(el('h4', { text: 'Request' })); media(op.requestBody.content).forEach(function (n) { s.appendChild(n); }); }
    Object.keys(op.responses || {}).forEach(function (status) {
      var r = op.responses[status];
      s.appendChild(el('h4', { text: 'Response ' + status + (r.description ? ' — ' + r.description : '') }));
      media(r.content).forEach(function (n) { s.appendChild(n); });
    });
    return s;
  }
  fetch('/api/openapi.json').then(function (r) { return r.json(); }).then(function (doc) {
    main.textContent = '';
    document.title = doc.info.title + ' reference';
    main.appendChild(el('h1', { text: doc.info.title + ' ' + doc.info.version }));
    main.appendChild(prose(doc.info.description));
    var byTag = {}, n = 0;
    function add(tag, method, path, op) { (byTag[tag] = byTag[tag] || []).push([method, path, op]); }
    Object.keys(doc.paths || {}).forEach(function (path) {
      Object.keys(doc.paths[path]).forEach(function (method) { var op = doc.paths[path][method]; add((op.tags || ['Other'])[0], method, path, op); });
    });
    Object.keys(doc.webhooks || {}).forEach(function (name) { add('Webhooks', 'post', name + ' (webhook)', doc.webhooks[name].post); });
    Object.keys(byTag).forEach(function (tag) {
      toc.appendChild(el('h3', { text: tag }));
      main.appendChild(el('h1', { text: tag }));
      byTag[tag].forEach(function (o) {
        var id = 'op' + (n++);
        toc.appendChild(el('a', { href: '#' + id, 'data-q': (o[0] + ' ' + o[1] + ' ' + (o[2].summary || '')).toLowerCase(), text: (o[2].summary || o[1]) }));
        main.appendChild(operation(id, o[0], o[1], o[2]));
      });
    });
  }).catch(function (e) { main.textContent = 'Could not load /api/openapi.json: ' + e; });
  document.getElementById('filter').addEventListener('input', function (ev) {
    var q = ev.target.value.toLowerCase();
    Array.prototype.forEach.call(toc.querySelectorAll('a'), function (a) { a.style.display = a.getAttribute('data-q').indexOf(q) >= 0 ? '' : 'none'; });
  });
})();
</script>
</body>
</html>`;
}
