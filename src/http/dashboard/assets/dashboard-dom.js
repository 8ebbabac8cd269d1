// Small DOM and formatting helpers for the dashboard scripts (no framework). Text always goes in
// through textContent, never innerHTML: module paths and log lines come from the network.

/** Creates an element: el('td', { class: 'num', title: 'x' }, 'text', childNode, ...). */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

/** Replaces a table body's rows; an empty list shows one "empty" row with the given text. */
export function fillTable(table, rows, emptyText) {
  const body = table.tBodies[0];
  if (rows.length === 0) {
    const cols = table.tHead?.rows[0]?.cells.length ?? 1;
    body.replaceChildren(el('tr', null, el('td', { colspan: cols, class: 'empty' }, emptyText)));
  } else {
    body.replaceChildren(...rows);
  }
}

/** An error from fetchJson, with the HTTP status (0 = network error) and the server's text. */
export class FetchError extends Error {
  constructor(status, text, url) {
    super(status === 0 ? `${url}: ${text}` : `${url}: HTTP ${status}${text ? ` — ${text}` : ''}`);
    this.status = status;
    this.text = text;
  }
}

const TOKEN_KEY = 'modgate.adminToken';

/** The token this tab keeps (sessionStorage), or ''. */
export function readToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

/** Keeps (or, with '', forgets) the token for this tab. */
export function writeToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: the token lives in the input field only
  }
}

/**
 * fetch() that resolves with parsed JSON and rejects with FetchError (never an unhandled throw).
 * The tab's token, when set, is sent as a Bearer token unless init brings its own authorization.
 */
export async function fetchJson(url, init) {
  let res;
  const token = readToken();
  const headers = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init?.headers ?? {}) };
  try {
    res = await fetch(url, { cache: 'no-store', ...init, headers });
  } catch (err) {
    throw new FetchError(0, err instanceof Error ? err.message : String(err), url);
  }
  if (!res.ok) {
    const text = (await res.text().catch(() => '')).trim().slice(0, 300);
    throw new FetchError(res.status, text, url);
  }
  try {
    return await res.json();
  } catch {
    throw new FetchError(res.status, 'the answer is not JSON', url);
  }
}

/** Shows text in an error element (role=alert), or hides it when text is empty. */
export function showError(node, text) {
  if (!node) return;
  node.hidden = !text;
  node.textContent = text || '';
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function fmtBytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '–';
  let v = n;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${UNITS[i]}`;
}

export function fmtNumber(n) {
  return typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US') : '–';
}

export function fmtPercent(ratio) {
  return typeof ratio === 'number' && Number.isFinite(ratio) ? `${(ratio * 100).toFixed(1)} %` : '–';
}

export function fmtMs(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '–';
  return ms < 10 ? ms.toFixed(1) : String(Math.round(ms));
}

function toDate(t) {
  if (t === undefined || t === null || t === '') return undefined;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Local time of day (HH:MM:SS), with the full timestamp for a title attribute. */
export function fmtClock(t) {
  const d = toDate(t);
  return d ? d.toLocaleTimeString('en-GB', { hour12: false }) : '–';
}

export function fmtDateTime(t) {
  const d = toDate(t);
  return d ? d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–';
}

export function fmtDate(t) {
  const d = toDate(t);
  return d ? d.toISOString().slice(0, 10) : '–';
}

/** "5 s ago", "3 min ago", "2 h ago", "4 d ago". */
export function fmtAgo(t, now = Date.now()) {
  const d = toDate(t);
  if (!d) return '–';
  const s = Math.max(0, Math.round((now - d.getTime()) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function fmtDuration(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '–';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  return m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}
