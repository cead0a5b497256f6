// Renders {base}/doc/v1_swagger.json (the same document as v1_swagger.yaml) as a readable page.
// No framework and no remote script: the page is served under the UI's strict CSP.
'use strict';
(async () => {
  const root = document.getElementById('doc');
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
    return e;
  };
  let doc;
  try {
    const r = await fetch('../../doc/v1_swagger.json', { cache: 'no-store' });
    doc = await r.json();
  } catch (e) {
    root.replaceChildren(el('p', {}, 'Cannot load the API description: ' + e.message));
    return;
  }
  const refName = (s) => (s && s.$ref ? s.$ref.split('/').pop() : '');
  const deref = (o, kind) => (o && o.$ref ? doc[kind][o.$ref.split('/').pop()] : o);
  const typeOf = (s) => {
    if (!s) return '';
    if (s.$ref) return refName(s);
    if (s.type === 'array') return typeOf(s.items) + '[]';
    return (s.type || '') + (s.format ? ' (' + s.format + ')' : '') + (s['x-nullable'] ? ' or null' : '');
  };
  const anchor = (name) => el('a', { href: '#def-' + name }, name);
  const out = [el('h1', {}, doc.info.title), el('p', { class: 'muted' }, 'base path ', el('code', {}, doc.basePath)),
    el('p', {}, doc.info.description || '')];
  const byTag = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters') continue;
      const tag = (op.tags || ['Other'])[0];
      (byTag[tag] ||= []).push({ path, method: method.toUpperCase(), op, params: [...(item.parameters || []), ...(op.parameters || [])] });
    }
  }
  for (const [tag, ops] of Object.entries(byTag)) {
    out.push(el('h2', {}, tag));
    for (const { path, method, op, params } of ops) {
      const rows = params.map((p) => deref(p, 'parameters')).map((p) =>
        el('tr', {}, el('td', {}, el('code', {}, p.name)), el('td', {}, p.in), el('td', {}, p.schema ? anchor(refName(p.schema)) : typeOf(p)),
          el('td', {}, p.required ? 'required' : ''), el('td', {}, p.description || '')))
      const resp = Object.entries(op.responses || {}).map(([code, r]) => {
        const rr = deref(r, 'responses');
        const s = rr.schema;
        return el('tr', {}, el('td', {}, code), el('td', {}, rr.description || ''),
          el('td', {}, s ? (s.$ref ? anchor(refName(s)) : (s.items && s.items.$ref ? [anchor(refName(s.items)), '[]'] : typeOf(s))) : ''));
      });
      out.push(el('section', { class: 'op', id: op.operationId || '' },
        el('div', {}, el('span', { class: 'm ' + method }, method), el('span', { class: 'path' }, path), ' ', el('span', { class: 'muted' }, op.summary || '')),
        op.description ? el('p', {}, op.description) : null,
        rows.length ? el('table', {}, el('tr', {}, el('th', {}, 'parameter'), el('th', {}, 'in'), el('th', {}, 'type'), el('th', {}, ''), el('th', {}, '')), rows) : null,
        el('table', {}, el('tr', {}, el('th', {}, 'status'), el('th', {}, 'meaning'), el('th', {}, 'body')), resp)));
    }
  }
  out.push(el('h2', {}, 'Models'));
  for (const [name, def] of Object.entries(doc.definitions)) {
    const req = new Set(def.required || []);
    out.push(el('section', { class: 'op', id: 'def-' + name }, el('strong', {}, name),
      el('table', {}, Object.entries(def.properties || {}).map(([p, s]) => el('tr', {},
        el('td', {}, el('code', {}, p)), el('td', {}, s.$ref ? anchor(refName(s)) : (s.items && s.items.$ref ? [anchor(refName(s.items)), '[]'] : typeOf(s))),
        el('td', {}, req.has(p) ? 'always' : ''), el('td', {}, s.description || (s.enum ? s.enum.join(', ') : '')))))));
  }
  root.replaceChildren(...out);
})();
