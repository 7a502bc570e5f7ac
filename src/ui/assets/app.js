// Tocsin's web UI: Alertmanager's pages at Alertmanager's URLs (#/alerts,
// #/silences, #/silences/new?filter=…, #/silences/<id>, #/status), plus an
// alert's history and chart (#/alerts/<fingerprint>) and the receivers'
// health (#/receivers). Every change goes through the API v2 endpoints amtool
// uses. Alert content is attacker-influenced: it is only ever put in the page
// as text (textContent, attribute values), never as HTML.
'use strict';

// The API lives next to the page: <prefix>/api/v2/… (the server sets the
// page's base URL to the route prefix).
const root = new URL(document.baseURI).pathname;
const api = (path) => root + path;

// ---------------------------------------------------------------- helpers

/** An element with attributes and children (strings become text nodes). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

async function request(method, path, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const resp = await fetch(api(path), opts);
  const text = await resp.text();
  if (!resp.ok) {
    let msg = text;
    try { const j = JSON.parse(text); msg = j.message || j.error || text; } catch (_) { /* text */ }
    throw new Error(`${resp.status}: ${msg}`);
  }
  return text ? JSON.parse(text) : null;
}
const get = (path) => request('GET', path);

function toast(text) {
  const t = document.getElementById('toast');
  t.textContent = text;
  t.classList.add('show');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove('show'), 4000);
}

function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}

function ago(iso) {
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (!isFinite(s)) return '';
  const abs = Math.abs(s);
  const text = abs < 60 ? `${abs}s` : abs < 3600 ? `${Math.floor(abs / 60)}m` :
    abs < 86400 ? `${Math.floor(abs / 3600)}h ${Math.floor(abs % 3600 / 60)}m` : `${Math.floor(abs / 86400)}d`;
  return s >= 0 ? `${text} ago` : `in ${text}`;
}

/** `name="value"` with the value quoted as Alertmanager's matchers are. */
function matcherText(m) {
  const op = m.isEqual === false ? (m.isRegex ? '!~' : '!=') : (m.isRegex ? '=~' : '=');
  return `${m.name}${op}${JSON.stringify(m.value)}`;
}

function labelsFilter(labels) {
  return '{' + Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(', ') + '}';
}

/**
 * Parses a matcher list as Alertmanager reads it: `{a="b", c=~"d.*"}` or
 * `a=b,c!=d`; returns API v2 matchers or throws with the reason.
 */
function parseMatchers(text) {
  let s = text.trim();
  if (s.startsWith('{')) {
    if (!s.endsWith('}')) throw new Error('missing closing "}"');
    s = s.slice(1, -1);
  }
  const out = [];
  let i = 0;
  const skip = () => { while (i < s.length && /[\s,]/.test(s[i])) i++; };
  skip();
  while (i < s.length) {
    const nameStart = i;
    while (i < s.length && !/[=!~\s]/.test(s[i])) i++;
    let name = s.slice(nameStart, i).trim();
    if (name.startsWith('"') && name.endsWith('"') && name.length > 1) name = JSON.parse(name);
    while (s[i] === ' ') i++;
    const op = s.startsWith('=~', i) ? '=~' : s.startsWith('!~', i) ? '!~' : s.startsWith('!=', i) ? '!=' :
      s[i] === '=' ? '=' : null;
    if (!name) throw new Error(`a matcher without a label name at ${JSON.stringify(s.slice(nameStart, nameStart + 20))}`);
    if (!op) throw new Error(`no operator (=, !=, =~, !~) after ${JSON.stringify(name)}`);
    i += op.length;
    while (s[i] === ' ') i++;
    let value;
    if (s[i] === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      if (j >= s.length) throw new Error(`unterminated quoted value for ${JSON.stringify(name)}`);
      value = JSON.parse(s.slice(i, j + 1));
      i = j + 1;
    } else {
      const start = i;
      while (i < s.length && s[i] !== ',') i++;
      value = s.slice(start, i).trim();
    }
    out.push({ name, value, isRegex: op.endsWith('~'), isEqual: !op.startsWith('!') });
    skip();
  }
  if (out.length === 0) throw new Error('at least one matcher is needed');
  return out;
}

function parseHashQuery(q) {
  const p = {};
  for (const [k, v] of new URLSearchParams(q || '')) p[k] = v;
  return p;
}

function setHash(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v !== '' && v !== undefined && v !== null) q.set(k, v);
  const s = q.toString();
  const target = '#' + path + (s ? '?' + s : '');
  if (location.hash !== target) location.hash = target;
  else route();
}

function labelChips(labels, onClick) {
  return h('div', { class: 'labels' }, Object.keys(labels).sort().map((k) => {
    const text = `${k}="${labels[k]}"`;
    return onClick ? h('button', { type: 'button', class: 'chip', title: `Filter on ${text}`, onclick: () => onClick(k, labels[k]) }, text)
      : h('span', { class: 'chip' }, text);
  }));
}

function errorBox(e) {
  return h('p', { class: 'error', role: 'alert' }, String(e.message || e));
}

// The name used for silences, kept in this browser.
function creator() {
  return localStorage.getItem('tocsin.creator') || '';
}

// ---------------------------------------------------------------- alerts

async function alertsPage(main, params) {
  const filter = params.filter || '';
  const receiver = params.receiver || '';
  const flags = {
    silenced: params.silenced === 'true',
    inhibited: params.inhibited === 'true',
    muted: params.muted === 'true',
  };
  const update = (changes) => setHash('/alerts', { filter, receiver, ...Object.fromEntries(Object.entries(flags).map(([k, v]) => [k, v ? 'true' : ''])), ...changes });
  const filterInput = h('input', { type: 'search', id: 'filter', value: filter, placeholder: '{alertname="Disk", severity=~"crit.*"}', 'aria-describedby': 'filter-hint' });
  const receiverSelect = h('select', { id: 'receiver' }, h('option', { value: '' }, 'All receivers'));
  const form = h('form', { class: 'toolbar', role: 'search', onsubmit: (ev) => { ev.preventDefault(); update({ filter: filterInput.value.trim(), receiver: receiverSelect.value }); } },
    h('div', { class: 'grow' }, h('label', { for: 'filter' }, 'Filter'), filterInput,
      h('div', { class: 'hint', id: 'filter-hint' }, 'Matchers as in Alertmanager: label="value", label=~"regex", label!="value".')),
    h('div', null, h('label', { for: 'receiver' }, 'Receiver'), receiverSelect),
    h('div', null, ...['silenced', 'inhibited', 'muted'].map((k) =>
      h('label', { class: 'check' }, h('input', { type: 'checkbox', id: `show-${k}`, checked: flags[k], onchange: (ev) => { flags[k] = ev.target.checked; update({ filter: filterInput.value.trim(), receiver: receiverSelect.value }); } }), `Show ${k}`))),
    h('button', { type: 'submit' }, 'Apply'));
  const list = h('div', { id: 'alert-groups', 'aria-live': 'polite' }, 'Loading…');
  main.replaceChildren(h('h1', null, 'Alerts'), form, list);
  get('api/v2/receivers').then((rs) => {
    for (const r of rs) receiverSelect.append(h('option', { value: r.name, selected: r.name === receiver }, r.name));
  }).catch(() => {});

  const q = new URLSearchParams();
  if (filter) {
    try {
      for (const m of parseMatchers(filter)) q.append('filter', matcherText(m));
    } catch (e) {
      list.replaceChildren(errorBox(new Error(`Invalid filter: ${e.message}`)));
      return;
    }
  }
  if (receiver) q.set('receiver', '^(?:' + receiver.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + ')$');
  for (const [k, v] of Object.entries(flags)) q.set(k, String(v));
  let groups;
  try {
    groups = await get('api/v2/alerts/groups?' + q.toString());
  } catch (e) {
    list.replaceChildren(errorBox(e));
    return;
  }
  const addFilter = (k, v) => {
    let current = [];
    try { current = filter ? parseMatchers(filter) : []; } catch (_) { current = []; }
    current = current.filter((m) => m.name !== k);
    current.push({ name: k, value: v, isRegex: false, isEqual: true });
    update({ filter: '{' + current.map(matcherText).join(', ') + '}', receiver });
  };
  groups = groups.filter((g) => g.alerts.length > 0);
  if (groups.length === 0) {
    list.replaceChildren(h('p', null, 'No alerts.'));
    return;
  }
  const total = groups.reduce((n, g) => n + g.alerts.length, 0);
  list.replaceChildren(h('p', { class: 'hint' }, `${total} alert${total === 1 ? '' : 's'} in ${groups.length} group${groups.length === 1 ? '' : 's'}`),
    ...groups.map((g) => h('section', { class: 'group', 'aria-label': 'Group ' + labelsFilter(g.labels) },
      h('header', null, Object.keys(g.labels).length ? labelChips(g.labels, addFilter) : h('span', { class: 'hint' }, 'not grouped'),
        h('span', { class: 'receiver' }, 'receiver: ', g.receiver.name)),
      ...g.alerts.map((a) => alertCard(a, addFilter)))));
}

function alertCard(a, addFilter) {
  const state = a.status.state;
  const ann = Object.keys(a.annotations || {}).sort();
  return h('article', { class: 'alert', 'data-fingerprint': a.fingerprint },
    h('div', { class: 'meta' },
      h('span', { class: 'state ' + state }, state === 'suppressed' ? 'silenced/inhibited' : state),
      h('span', null, 'started ', h('time', { datetime: a.startsAt, title: when(a.startsAt) }, ago(a.startsAt))),
      a.status.silencedBy.length ? h('span', null, 'silenced by ', ...a.status.silencedBy.map((id) => h('a', { href: `#/silences/${id}` }, id.slice(0, 8)))) : null,
      a.status.inhibitedBy.length ? h('span', null, 'inhibited') : null,
      (a.status.mutedBy || []).length ? h('span', null, 'muted by ', a.status.mutedBy.join(', ')) : null),
    labelChips(a.labels, addFilter),
    ann.length ? h('details', { class: 'annotations' }, h('summary', null, 'Annotations'),
      h('dl', null, ...ann.flatMap((k) => [h('dt', null, k), h('dd', null, a.annotations[k])]))) : null,
    h('div', { class: 'actions' },
      h('a', { class: 'button secondary', href: `#/alerts/${a.fingerprint}` }, 'Details'),
      h('a', { class: 'button secondary', href: '#/silences/new?' + new URLSearchParams({ filter: labelsFilter(a.labels) }).toString() }, 'Silence'),
      h('button', { type: 'button', class: 'secondary', onclick: (ev) => ack(a, ev.target) }, 'Ack'),
      safeLink(a.generatorURL, 'Source')));
}

/** A link only for http(s) URLs (a `javascript:` generator URL is shown as text). */
function safeLink(url, text) {
  if (!url) return null;
  try {
    const u = new URL(url, location.href);
    if (u.protocol === 'http:' || u.protocol === 'https:') return h('a', { class: 'button secondary', href: u.href, rel: 'noopener noreferrer', target: '_blank' }, text);
  } catch (_) { /* not a URL */ }
  return null;
}

/** One click: a silence of this alert's exact labels for an hour. */
async function ack(a, button) {
  let name = creator();
  if (!name) {
    name = (prompt('Your name, for the silence (kept in this browser):') || '').trim();
    if (!name) return;
    localStorage.setItem('tocsin.creator', name);
  }
  button.disabled = true;
  const now = new Date();
  try {
    const r = await request('POST', 'api/v2/silences', {
      matchers: Object.keys(a.labels).sort().map((k) => ({ name: k, value: a.labels[k], isRegex: false, isEqual: true })),
      startsAt: now.toISOString(),
      endsAt: new Date(now.getTime() + 3600e3).toISOString(),
      createdBy: name,
      comment: `Acknowledged from Tocsin's UI`,
    });
    toast(`Silenced for 1h (${r.silenceID})`);
    route();
  } catch (e) {
    toast(`Could not acknowledge: ${e.message}`);
    button.disabled = false;
  }
}

async function alertDetailPage(main, fingerprint) {
  main.replaceChildren(h('h1', null, 'Alert ', h('code', null, fingerprint)), h('p', null, 'Loading…'));
  const parts = [h('h1', null, 'Alert ', h('code', null, fingerprint))];
  let alert = null;
  try {
    const all = await get('api/v2/alerts?silenced=true&inhibited=true&muted=true&active=true&unprocessed=true');
    alert = all.find((a) => a.fingerprint === fingerprint) || null;
  } catch (e) { parts.push(errorBox(e)); }
  if (alert) {
    parts.push(alertCard(alert, null));
  } else {
    parts.push(h('p', { class: 'hint' }, 'Not active now.'));
  }
  parts.push(h('h2', null, 'Chart'));
  const img = h('img', { class: 'graph', alt: 'Chart of the alert\'s expression', src: api(`api/tocsin/v1/graph/${fingerprint}.png`), width: 800, height: 400 });
  const chart = h('div', null, img);
  img.addEventListener('error', () => chart.replaceChildren(h('p', { class: 'hint' },
    'No chart: charts need --graph.prometheus-url and an alert with an expression.')));
  parts.push(chart);
  parts.push(h('h2', null, 'Timeline'));
  try {
    const t = await get(`api/tocsin/v1/history/alerts/${fingerprint}`);
    parts.push(h('table', null,
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'When'), h('th', { scope: 'col' }, 'What'), h('th', { scope: 'col' }, 'Detail'))),
      h('tbody', null, ...t.events.map((ev) => h('tr', null,
        h('td', null, h('time', { datetime: ev.at }, when(ev.at))),
        h('td', null, ev.kind),
        h('td', null, ev.notification ? `${ev.notification.receiver}/${ev.notification.integration}[${ev.notification.index}]: ${ev.notification.outcome}${ev.notification.error ? ' — ' + ev.notification.error : ''}` :
          [ev.receiver, (ev.silenceIds || []).join(', '), ev.inhibitedBy, ev.timeInterval].filter(Boolean).join(' ')))))));
  } catch (e) {
    parts.push(h('p', { class: 'hint' }, `No history: ${e.message}`));
  }
  main.replaceChildren(...parts);
}

// ---------------------------------------------------------------- silences

async function silencesPage(main, params) {
  const filter = params.filter || '';
  const tab = params.state || 'active';
  const filterInput = h('input', { type: 'search', id: 'silence-filter', value: filter, placeholder: '{alertname="Disk"}' });
  const form = h('form', { class: 'toolbar', role: 'search', onsubmit: (ev) => { ev.preventDefault(); setHash('/silences', { filter: filterInput.value.trim(), state: tab }); } },
    h('div', { class: 'grow' }, h('label', { for: 'silence-filter' }, 'Filter'), filterInput),
    h('button', { type: 'submit' }, 'Apply'));
  const list = h('div', { id: 'silence-list', 'aria-live': 'polite' }, 'Loading…');
  main.replaceChildren(h('h1', null, 'Silences'), form, list);
  const q = new URLSearchParams();
  try {
    if (filter) for (const m of parseMatchers(filter)) q.append('filter', matcherText(m));
  } catch (e) {
    list.replaceChildren(errorBox(new Error(`Invalid filter: ${e.message}`)));
    return;
  }
  let silences;
  try {
    silences = await get('api/v2/silences?' + q.toString());
  } catch (e) {
    list.replaceChildren(errorBox(e));
    return;
  }
  const by = { active: [], pending: [], expired: [] };
  for (const s of silences) (by[s.status.state] || by.expired).push(s);
  const tabs = h('div', { class: 'tabs', role: 'group', 'aria-label': 'Silence state' }, ...Object.keys(by).map((k) =>
    h('button', { type: 'button', 'aria-pressed': String(k === tab), onclick: () => setHash('/silences', { filter, state: k }) }, `${k[0].toUpperCase()}${k.slice(1)} (${by[k].length})`)));
  const shown = by[tab] || [];
  list.replaceChildren(tabs, shown.length === 0 ? h('p', null, `No ${tab} silences.`) :
    h('div', { class: 'group' }, ...shown.map(silenceCard)));
}

function silenceCard(s) {
  return h('article', { class: 'silence', 'data-silence-id': s.id },
    h('div', { class: 'meta' },
      h('span', { class: 'state ' + s.status.state }, s.status.state),
      h('span', null, s.status.state === 'expired' ? 'ended ' : s.status.state === 'pending' ? 'starts ' : 'ends ',
        h('time', { datetime: s.status.state === 'pending' ? s.startsAt : s.endsAt, title: when(s.status.state === 'pending' ? s.startsAt : s.endsAt) }, ago(s.status.state === 'pending' ? s.startsAt : s.endsAt))),
      h('span', null, 'by ', s.createdBy)),
    h('div', { class: 'labels' }, ...s.matchers.map((m) => h('span', { class: 'chip' }, matcherText(m)))),
    s.comment ? h('p', null, s.comment) : null,
    h('div', { class: 'actions' },
      h('a', { class: 'button secondary', href: `#/silences/${s.id}` }, 'View'),
      h('a', { class: 'button secondary', href: `#/silences/${s.id}/edit` }, s.status.state === 'expired' ? 'Recreate' : 'Edit'),
      s.status.state !== 'expired' ? h('button', { type: 'button', class: 'danger', onclick: (ev) => expire(s.id, ev.target) }, 'Expire') : null));
}

async function expire(id, button) {
  if (button) button.disabled = true;
  try {
    await request('DELETE', `api/v2/silence/${encodeURIComponent(id)}`);
    toast('Silence expired');
    route();
  } catch (e) {
    toast(`Could not expire: ${e.message}`);
    if (button) button.disabled = false;
  }
}

async function silencePage(main, id) {
  main.replaceChildren(h('h1', null, 'Silence'), h('p', null, 'Loading…'));
  let s;
  try {
    s = await get(`api/v2/silence/${encodeURIComponent(id)}`);
  } catch (e) {
    main.replaceChildren(h('h1', null, 'Silence'), errorBox(e));
    return;
  }
  const affected = h('div', { 'aria-live': 'polite' }, 'Loading…');
  main.replaceChildren(h('h1', null, 'Silence ', h('code', null, s.id)), silenceCard(s),
    h('dl', { class: 'annotations' },
      h('dt', null, 'Starts'), h('dd', null, when(s.startsAt)),
      h('dt', null, 'Ends'), h('dd', null, when(s.endsAt)),
      h('dt', null, 'Updated'), h('dd', null, when(s.updatedAt))),
    h('h2', null, 'Affected alerts'), affected);
  if (s.status.state === 'active') {
    const alerts = await get('api/v2/alerts?silenced=true&inhibited=true&muted=true').catch(() => []);
    const mine = alerts.filter((a) => a.status.silencedBy.includes(s.id));
    affected.replaceChildren(mine.length ? h('div', { class: 'group' }, ...mine.map((a) => alertCard(a, null))) : h('p', null, 'None right now.'));
  } else {
    affected.replaceChildren(h('p', { class: 'hint' }, 'Only an active silence affects alerts.'));
  }
}

function localInput(d) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Go-like durations: 1h30m, 2d (days as Alertmanager's UI reads them), 45m. */
function parseDuration(text) {
  const re = /(\d+(?:\.\d+)?)(w|d|h|m|s)/g;
  let total = 0, matched = '', m;
  const unit = { w: 604800, d: 86400, h: 3600, m: 60, s: 1 };
  while ((m = re.exec(text.trim())) !== null) { total += parseFloat(m[1]) * unit[m[2]]; matched += m[0]; }
  if (!total || matched !== text.trim()) return null;
  return total * 1000;
}

async function silenceFormPage(main, params, editId) {
  let existing = null;
  if (editId) {
    try { existing = await get(`api/v2/silence/${encodeURIComponent(editId)}`); } catch (e) { main.replaceChildren(h('h1', null, 'Edit silence'), errorBox(e)); return; }
  }
  const now = new Date();
  const start = existing && existing.status.state !== 'expired' ? new Date(existing.startsAt) : now;
  const end = existing && existing.status.state !== 'expired' ? new Date(existing.endsAt) : new Date(now.getTime() + 2 * 3600e3);
  const matchersText = existing ? '{' + existing.matchers.map(matcherText).join(', ') + '}' : (params.filter || '');
  const f = {
    matchers: h('input', { type: 'text', id: 'matchers', value: matchersText, required: true, 'aria-describedby': 'matchers-hint' }),
    start: h('input', { type: 'datetime-local', id: 'starts', value: localInput(start), required: true }),
    duration: h('input', { type: 'text', id: 'duration', value: '2h', 'aria-describedby': 'duration-hint' }),
    end: h('input', { type: 'datetime-local', id: 'ends', value: localInput(end), required: true }),
    createdBy: h('input', { type: 'text', id: 'created-by', value: existing ? existing.createdBy : creator(), required: true, autocomplete: 'name' }),
    comment: h('textarea', { id: 'comment', required: true }, existing ? existing.comment : ''),
  };
  const syncEnd = () => {
    const d = parseDuration(f.duration.value);
    if (d) f.end.value = localInput(new Date(new Date(f.start.value).getTime() + d));
  };
  f.duration.addEventListener('input', syncEnd);
  f.start.addEventListener('change', syncEnd);
  const problem = h('div', { 'aria-live': 'assertive' });
  const preview = h('div', { id: 'preview', 'aria-live': 'polite' });
  const refreshPreview = async () => {
    let ms;
    try { ms = parseMatchers(f.matchers.value); } catch (e) { preview.replaceChildren(errorBox(new Error(`Matchers: ${e.message}`))); return; }
    const q = new URLSearchParams();
    for (const m of ms) q.append('filter', matcherText(m));
    q.set('silenced', 'true'); q.set('inhibited', 'true'); q.set('muted', 'true');
    try {
      const alerts = await get('api/v2/alerts?' + q.toString());
      preview.replaceChildren(h('p', null, `${alerts.length} alert${alerts.length === 1 ? '' : 's'} affected now`),
        alerts.length ? h('div', { class: 'group' }, ...alerts.slice(0, 50).map((a) => alertCard(a, null))) : null);
    } catch (e) { preview.replaceChildren(errorBox(e)); }
  };
  let timer;
  f.matchers.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(refreshPreview, 300); });
  const submit = async (ev) => {
    ev.preventDefault();
    problem.replaceChildren();
    let ms;
    try { ms = parseMatchers(f.matchers.value); } catch (e) { problem.replaceChildren(errorBox(new Error(`Matchers: ${e.message}`))); return; }
    const body = {
      matchers: ms,
      startsAt: new Date(f.start.value).toISOString(),
      endsAt: new Date(f.end.value).toISOString(),
      createdBy: f.createdBy.value.trim(),
      comment: f.comment.value.trim(),
    };
    if (existing && existing.status.state !== 'expired') body.id = existing.id;
    localStorage.setItem('tocsin.creator', body.createdBy);
    try {
      const r = await request('POST', 'api/v2/silences', body);
      toast('Silence saved');
      location.hash = `#/silences/${r.silenceID}`;
    } catch (e) { problem.replaceChildren(errorBox(e)); }
  };
  main.replaceChildren(h('h1', null, existing ? 'Edit silence' : 'New silence'),
    h('form', { class: 'form', id: 'silence-form', onsubmit: submit },
      h('div', { class: 'wide' }, h('label', { for: 'matchers' }, 'Matchers'), f.matchers,
        h('div', { class: 'hint', id: 'matchers-hint' }, 'For example {alertname="Disk", instance=~"db-.*"}')),
      h('div', null, h('label', { for: 'starts' }, 'Starts'), f.start),
      h('div', null, h('label', { for: 'duration' }, 'Duration'), f.duration, h('div', { class: 'hint', id: 'duration-hint' }, 'Sets the end: 30m, 2h, 1d…')),
      h('div', null, h('label', { for: 'ends' }, 'Ends'), f.end),
      h('div', null, h('label', { for: 'created-by' }, 'Creator'), f.createdBy),
      h('div', { class: 'wide' }, h('label', { for: 'comment' }, 'Comment'), f.comment),
      h('div', { class: 'wide' }, problem, h('button', { type: 'submit' }, existing ? 'Update' : 'Create'))),
    h('h2', null, 'Preview'), preview);
  refreshPreview();
}

// ---------------------------------------------------------------- status, receivers

async function statusPage(main) {
  main.replaceChildren(h('h1', null, 'Status'), h('p', null, 'Loading…'));
  let s;
  try { s = await get('api/v2/status'); } catch (e) { main.replaceChildren(h('h1', null, 'Status'), errorBox(e)); return; }
  const v = s.versionInfo || {};
  const peers = (s.cluster && s.cluster.peers) || [];
  main.replaceChildren(h('h1', null, 'Status'),
    h('table', null, h('tbody', null,
      h('tr', null, h('th', { scope: 'row' }, 'Uptime'), h('td', null, `since ${when(s.uptime)} (${ago(s.uptime).replace(' ago', '')})`)),
      h('tr', null, h('th', { scope: 'row' }, 'Version'), h('td', null, `${v.version || ''} (revision ${v.revision || ''}, branch ${v.branch || ''}, built by ${v.buildUser || ''} on ${v.buildDate || ''}, ${v.goVersion || ''})`)),
      h('tr', null, h('th', { scope: 'row' }, 'Cluster'), h('td', null, `${s.cluster ? s.cluster.status : 'disabled'}${s.cluster && s.cluster.name ? ' — this peer: ' + s.cluster.name : ''}`)))),
    h('h2', null, `Peers (${peers.length})`),
    peers.length ? h('ul', null, ...peers.map((p) => h('li', null, `${p.name} — ${p.address}`))) : h('p', { class: 'hint' }, 'No peers.'),
    h('h2', null, 'Configuration'), h('p', { class: 'hint' }, 'Secrets are shown as <secret>.'),
    h('pre', { id: 'config' }, (s.config && s.config.original) || ''));
}

async function receiversPage(main) {
  main.replaceChildren(h('h1', null, 'Receivers'), h('p', null, 'Loading…'));
  let rs;
  try { rs = await get('api/v2/receivers'); } catch (e) { main.replaceChildren(h('h1', null, 'Receivers'), errorBox(e)); return; }
  const results = h('div', { id: 'test-results', 'aria-live': 'polite' });
  const testButtons = rs.map((r) => h('button', {
    type: 'button', class: 'secondary', 'data-receiver': r.name,
    onclick: (ev) => sendTest(r.name, ev.target, results),
  }, `Send a test notification to ${r.name}`));
  main.replaceChildren(h('h1', null, 'Receivers'),
    h('p', { class: 'hint' }, 'The last notification attempt of each integration, from the history. A test notification goes through every integration of the receiver with its real templates, marked as a test.'),
    h('div', { class: 'actions' }, ...testButtons), results,
    h('table', null,
      h('thead', null, h('tr', null, ...['Receiver', 'Integration', 'Last attempt', 'Outcome', 'Error'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, ...rs.flatMap((r) => {
        const ints = r.integrations || [];
        if (ints.length === 0) return [h('tr', null, h('td', null, r.name), h('td', { colspan: 4, class: 'hint' }, 'no integrations, or nothing sent yet'))];
        return ints.map((i) => h('tr', null,
          h('td', null, r.name),
          h('td', null, `${i.name}`),
          h('td', null, i.lastNotifyAttempt ? h('time', { datetime: i.lastNotifyAttempt, title: when(i.lastNotifyAttempt) }, ago(i.lastNotifyAttempt)) : '—'),
          h('td', null, i.lastNotifyAttempt ? h('span', { class: 'state ' + (i.lastNotifyAttemptError ? 'failure' : 'success') }, i.lastNotifyAttemptError ? 'failed' : 'ok') : '—'),
          h('td', null, i.lastNotifyAttemptError || '')));
      }))));
}

async function sendTest(receiver, button, results) {
  button.disabled = true;
  results.replaceChildren(h('p', null, `Sending a test notification to ${receiver}…`));
  try {
    const r = await request('POST', 'api/tocsin/v1/receivers/test', { receivers: [receiver] });
    results.replaceChildren(h('h2', null, `Test of ${receiver}`), h('ul', null, ...r.results.map((o) =>
      h('li', { class: o.ok ? 'test-ok' : 'test-failed' },
        h('span', { class: 'state ' + (o.ok ? 'success' : 'failure') }, o.ok ? 'ok' : 'failed'), ' ',
        `${o.integration}[${o.index}]`, o.ok ? '' : `: ${o.error}`))),
    r.results.length ? null : h('p', { class: 'hint' }, 'This receiver has no integrations.'));
  } catch (e) {
    results.replaceChildren(errorBox(e));
  }
  button.disabled = false;
}

// ---------------------------------------------------------------- router

function route() {
  const main = document.getElementById('main');
  const hash = location.hash.replace(/^#/, '') || '/alerts';
  const [path, query] = hash.split('?');
  const params = parseHashQuery(query);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const section = parts[0] || 'alerts';
  for (const a of document.querySelectorAll('[data-nav]')) {
    const current = a.dataset.nav === section && !(section === 'silences' && parts[1] === 'new') || (a.dataset.nav === 'new' && parts[1] === 'new');
    if (current) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  document.title = `Tocsin — ${section}`;
  let page;
  if (section === 'alerts' && parts[1]) page = alertDetailPage(main, parts[1]);
  else if (section === 'alerts') page = alertsPage(main, params);
  else if (section === 'silences' && parts[1] === 'new') page = silenceFormPage(main, params, null);
  else if (section === 'silences' && parts[1] && parts[2] === 'edit') page = silenceFormPage(main, params, parts[1]);
  else if (section === 'silences' && parts[1]) page = silencePage(main, parts[1]);
  else if (section === 'silences') page = silencesPage(main, params);
  else if (section === 'status') page = statusPage(main);
  else if (section === 'receivers') page = receiversPage(main);
  else { main.replaceChildren(h('h1', null, 'Not found'), h('p', null, 'No such page. ', h('a', { href: '#/alerts' }, 'Alerts'))); return; }
  Promise.resolve(page).catch((e) => main.replaceChildren(errorBox(e)));
}

window.addEventListener('hashchange', route);
route();
