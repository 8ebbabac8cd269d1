// The module browser: search cached modules (api/modules), show a module's versions with hashes
// and verification status (api/modules/versions), purge a version or a whole module through
// admin/purge with the token kept in sessionStorage (this tab only; the form is in the page header).
import { el, fetchJson, fillTable, fmtAgo, fmtBytes, fmtDate, fmtDateTime, fmtNumber, readToken, showError, writeToken } from './dashboard-dom.js';

const $ = (id) => document.getElementById(id);

let currentQuery = '';
let currentModule = '';
let searchSeq = 0;
let versionsSeq = 0;

function showTokenStatus() {
  const has = readToken() !== '' || $('admin-token').value !== '';
  $('token-status').textContent = has ? 'token set for this tab' : 'no token set';
}

/** Shows the outcome of a purge: kind 'ok' or 'error'. */
function purgeMessage(kind, text) {
  const node = $('purge-message');
  node.className = kind === 'ok' ? 'ok' : 'error';
  showError(node, text);
}

function explainPurgeError(err) {
  switch (err.status) {
    case 401:
      return 'Not purged: the admin API needs a token (401 Unauthorized). Enter the admin token at the top of the page.';
    case 403:
      return 'Not purged: the admin token was rejected (403 Forbidden). Check it and enter it again.';
    case 404:
      return `Not purged: ${err.text || 'the admin API is off on this server (start it with --admin-tokens).'}`;
    case 0:
      return `Not purged: the server could not be reached (${err.text}).`;
    default:
      return `Not purged: HTTP ${err.status}${err.text ? ` — ${err.text}` : ''}.`;
  }
}

async function purge(target, button) {
  const token = $('admin-token').value.trim() || readToken();
  if (!token) {
    purgeMessage('error', 'Not purged: enter the admin token at the top of the page first.');
    $('admin-token').focus();
    return;
  }
  const name = target.version ? `${target.module}@${target.version}` : `${target.module} (every version)`;
  button.disabled = true;
  try {
    const r = await fetchJson('admin/purge', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(target),
    });
    const files = (r.removed ?? []).reduce((n, x) => n + (x.files ?? 0), 0);
    purgeMessage('ok', `Purged ${name}: ${files} file${files === 1 ? '' : 's'}, ${fmtBytes(r.bytes)}.`);
    await search(currentQuery);
    if (currentModule === target.module) await showVersions(target.module);
  } catch (err) {
    purgeMessage('error', explainPurgeError(err));
  } finally {
    button.disabled = false;
  }
}

/** True when the server's admin API is on (the page says so in body[data-admin]). */
const adminOn = () => document.body.dataset.admin === 'on';

/** A purge button that asks for a second click before it acts; none when the admin API is off. */
function purgeButton(label, target) {
  if (!adminOn()) return null;
  const button = el('button', { type: 'button', class: 'danger', 'aria-label': `${label}: ${target.version ? `${target.module}@${target.version}` : target.module}` }, label);
  let armed;
  button.addEventListener('click', () => {
    if (!armed) {
      button.textContent = 'Confirm purge';
      button.classList.add('armed');
      armed = setTimeout(() => {
        armed = undefined;
        button.textContent = label;
        button.classList.remove('armed');
      }, 5000);
      return;
    }
    clearTimeout(armed);
    armed = undefined;
    button.textContent = label;
    button.classList.remove('armed');
    void purge(target, button);
  });
  return button;
}

/** Loads the module list for a query. */
export async function search(q) {
  currentQuery = q;
  const seq = ++searchSeq;
  const table = $('modules-table');
  try {
    const r = await fetchJson(`api/modules?q=${encodeURIComponent(q)}&limit=100`);
    if (seq !== searchSeq) return;
    const rows = (r.modules ?? []).map((m) =>
      el(
        'tr',
        { 'aria-current': m.path === currentModule ? 'true' : undefined, dataset: { module: m.path } },
        el('td', null, el('button', { type: 'button', class: 'link', onclick: () => void showVersions(m.path) }, m.path)),
        el('td', { class: 'num' }, fmtNumber(m.versions)),
        el('td', { class: 'num' }, fmtBytes(m.bytes)),
        el('td', { title: fmtDateTime(m.lastAccess) }, fmtAgo(m.lastAccess)),
        el('td', null, purgeButton('Purge module', { module: m.path })),
      ),
    );
    fillTable(table, rows, q ? `No cached module path contains “${q}”.` : 'The cache is empty.');
  } catch (err) {
    if (seq !== searchSeq) return;
    fillTable(table, [], `Module list unavailable: ${err.message}`);
  }
}

function verifiedBadge(v) {
  const text = { sumdb: 'checksum DB', pinned: 'pinned', unverified: 'unverified' }[v] ?? String(v ?? '–');
  return el('span', { class: `badge ${v === 'unverified' ? 'warn' : 'good'}` }, text);
}

/** Shows the versions of one module. */
export async function showVersions(path) {
  currentModule = path;
  const seq = ++versionsSeq;
  for (const tr of $('modules-table').tBodies[0].rows) {
    if (tr.dataset.module === path) tr.setAttribute('aria-current', 'true');
    else tr.removeAttribute('aria-current');
  }
  const table = $('versions-table');
  $('versions-of').textContent = `Versions of ${path}`;
  try {
    const r = await fetchJson(`api/modules/versions?path=${encodeURIComponent(path)}`);
    if (seq !== versionsSeq) return;
    const rows = (r.versions ?? []).map((v) =>
      el(
        'tr',
        { dataset: { version: v.version } },
        el('td', null, el('code', null, v.version)),
        v.time
          ? el('td', { class: 'nowrap', title: `version time ${fmtDateTime(v.time)}` }, fmtDate(v.time))
          : el('td', { class: 'nowrap', title: `cached ${fmtDateTime(v.modified)}` }, fmtDate(v.modified)),
        el('td', { class: 'nowrap' }, (v.files ?? []).join(' ')),
        el('td', { class: 'num' }, fmtBytes(v.zipBytes)),
        el('td', { class: 'hash' }, v.ziphash ? el('code', { title: v.ziphash }, v.ziphash) : '–'),
        el('td', null, verifiedBadge(v.verified)),
        el('td', { title: fmtDateTime(v.lastAccess) }, fmtAgo(v.lastAccess)),
        el('td', null, purgeButton('Purge', { module: path, version: v.version })),
      ),
    );
    table.hidden = false;
    fillTable(table, rows, 'No version of this module is cached (any more).');
  } catch (err) {
    if (seq !== versionsSeq) return;
    table.hidden = false;
    fillTable(table, [], err.status === 404 ? 'No version of this module is cached (any more).' : `Versions unavailable: ${err.message}`);
  }
}

/** Wires the search and token forms and loads the first list. */
export function initModules() {
  const input = $('module-q');
  let debounce;
  $('module-search').addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(debounce);
    void search(input.value.trim());
  });
  input.addEventListener('input', () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => void search(input.value.trim()), 300);
  });
  $('admin-off').hidden = adminOn();
  // The token is for purging (admin API) and for the data when the server requires one.
  const tokenUsed = adminOn() || document.body.dataset.auth === 'on';
  $('token-form').hidden = !tokenUsed;
  $('token-hint').hidden = !tokenUsed;
  const tokenInput = $('admin-token');
  tokenInput.value = readToken();
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    writeToken(tokenInput.value.trim());
    purgeMessage('ok', '');
    showTokenStatus();
    document.dispatchEvent(new Event('modgate-token'));
    void search(currentQuery);
  });
  $('token-forget').addEventListener('click', () => {
    tokenInput.value = '';
    writeToken('');
    showTokenStatus();
    document.dispatchEvent(new Event('modgate-token'));
  });
  tokenInput.addEventListener('input', showTokenStatus);
  showTokenStatus();
  void search('');
}

