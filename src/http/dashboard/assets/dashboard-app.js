// The dashboard's entry point: polls api/overview, api/timeseries, api/requests and api/events
// every few seconds (?refresh=N sets N seconds) and renders each panel on its own, so one failing
// endpoint only blanks its own panel. URLs are relative: the page is served at <prefix>/.
import { el, fetchJson, fillTable, fmtAgo, fmtBytes, fmtClock, fmtDateTime, fmtDuration, fmtMs, fmtNumber, fmtPercent, showError } from './dashboard-dom.js';
import { drawLineChart } from './dashboard-charts.js';
import { initModules } from './dashboard-modules.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const REFRESH_MS = Math.min(300, Math.max(1, Number(params.get('refresh')) || 5)) * 1000;
const MINUTES = 60;
const COLORS = { hit: '#1a7f37', rate: '#0b62c4', p50: '#0b62c4', p99: '#c2410c' };

function setTile(id, value, sub, tone) {
  const v = $(id);
  v.textContent = value;
  v.className = `value${tone ? ` ${tone}` : ''}`;
  $(`${id}-sub`).textContent = sub ?? '';
}

function shellWord(v) {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

function usageLine(name, value) {
  if (typeof value !== 'string') return undefined;
  if (/^(export\s+)?GO[A-Z]+=/.test(value)) return value.startsWith('export') ? value : `export ${value}`;
  return value === '' ? `# ${name}: leave at its default` : `export ${name}=${shellWord(value)}`;
}

function renderUsage(usage) {
  if (!usage || typeof usage !== 'object') return;
  const lines = [usageLine('GOPROXY', usage.goproxy), usageLine('GOSUMDB', usage.gosumdb), usageLine('GOPRIVATE', usage.goprivate)];
  if (lines.some((l) => l === undefined) || !usage.goproxy) return; // keep the server-rendered lines
  const text = lines.join('\n');
  if ($('usage-lines').textContent !== text) $('usage-lines').textContent = text;
}

const RECENT_MS = 5 * 60 * 1000;
const recently = (iso, now) => Boolean(iso) && now - new Date(iso).getTime() < RECENT_MS;

/** An upstream whose answers were refused (pollution, zip rules) or failed in the last minutes is not "ok". */
function upstreamHealth(u, now) {
  if (recently(u.lastRefusalAt, now)) return el('span', { class: 'badge bad' }, 'refused');
  if (recently(u.lastErrorAt, now)) return el('span', { class: 'badge warn' }, 'errors');
  return el('span', { class: 'badge good' }, 'ok');
}

/** The newest problem of an upstream: a refusal or an error. */
function lastProblem(u, now) {
  const refusal = u.lastRefusalAt ? { at: u.lastRefusalAt, text: `refused: ${u.lastRefusal}` } : undefined;
  const error = u.lastErrorAt ? { at: u.lastErrorAt, text: u.lastError } : undefined;
  const last = refusal && (!error || refusal.at >= error.at) ? refusal : error;
  if (!last) return el('td', null, '–');
  return el('td', { title: fmtDateTime(last.at) }, `${fmtAgo(last.at, now)}: ${last.text}`);
}

async function loadOverview() {
  try {
    const o = await fetchJson('api/overview');
    const now = Date.now();
    $('server-version').textContent = `version ${o.version ?? '?'}`;
    $('server-uptime').textContent = `up ${fmtDuration(o.uptimeSeconds)}`;
    const t = o.totals ?? {};
    setTile('tile-hit-ratio', fmtPercent(t.hitRatio), `${fmtNumber(t.hits)} hits · ${fmtNumber(t.misses)} misses`);
    setTile('tile-requests', fmtNumber(t.requests), `${fmtNumber(t.stale)} stale · ${fmtNumber(t.notFound ?? t.negative)} not found`);
    setTile('tile-errors', fmtNumber(t.errors), 'server errors (5xx)', t.errors > 0 ? 'warn' : '');
    const c = o.cache ?? {};
    setTile('tile-cache', fmtBytes(c.bytes), `${fmtNumber(c.modules)} modules · ${fmtNumber(c.versions)} versions`);
    if (o.sumdb === 'off') {
      setTile('tile-sumdb', 'off', 'bytes are not verified', 'warn');
    } else if (Array.isArray(o.sumdb)) {
      const forked = o.sumdb.filter((d) => d.forked).map((d) => d.name);
      if (forked.length > 0) setTile('tile-sumdb', 'FORKED', forked.join(', '), 'bad');
      else setTile('tile-sumdb', 'verifying', o.sumdb.map((d) => d.name).join(', '), 'good');
    }
    const own = o.ownSumdb;
    $('own-sumdb-tile').hidden = !own;
    if (own) {
      const when = own.lastTreeTime ? `last tree ${fmtAgo(own.lastTreeTime, now)}` : 'no tree yet';
      const sub = `${own.name} · ${when} · ${fmtNumber(own.refusals)} refused`;
      if (own.alarm) setTile('tile-own-sumdb', 'ALARM', own.alarm, 'bad');
      else setTile('tile-own-sumdb', `${fmtNumber(own.size)} records`, sub, own.refusals > 0 ? 'warn' : 'good');
    }
    const rows = (o.upstreams ?? []).map((u) =>
      el(
        'tr',
        null,
        el('td', null, upstreamHealth(u, now), ' ', el('code', null, u.name)),
        el('td', { class: 'num' }, fmtNumber(u.requests)),
        el('td', { class: 'num' }, fmtNumber(u.errors)),
        el('td', { class: 'num' }, fmtNumber(u.refused ?? 0)),
        el('td', { class: 'num' }, `${fmtMs(u.p50Ms)} / ${fmtMs(u.p99Ms)}`),
        lastProblem(u, now),
      ),
    );
    fillTable($('upstreams-table'), rows, 'No upstream configured.');
    renderUsage(o.usage);
    showError($('overview-error'), '');
  } catch (err) {
    showError($('overview-error'), `Overview unavailable: ${err.message}`);
    fillTable($('upstreams-table'), [], 'Upstream health unavailable.');
    throw err;
  }
}

function summary(values, fmt) {
  const nums = values.filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (nums.length === 0) return 'No requests in the last hour.';
  const last = nums[nums.length - 1];
  const max = Math.max(...nums);
  return `latest ${fmt(last)}, highest ${fmt(max)}`;
}

/**
 * The points on every step from the first one to xMax: a step with no requests becomes an empty
 * point (its values null), so the charts break their lines there instead of joining across it.
 */
function withGaps(points, step, xMin, xMax) {
  const byT = new Map(points.map((p) => [p.t, p]));
  const first = points.find((p) => p.t >= xMin - step)?.t;
  if (first === undefined) return [];
  const out = [];
  for (let t = first; t < xMax; t += step) out.push(byT.get(t) ?? { t, requests: 0 });
  return out;
}

async function loadTimeseries() {
  try {
    const ts = await fetchJson(`api/timeseries?minutes=${MINUTES}`);
    const step = (ts.stepSeconds || 10) * 1000;
    const given = Array.isArray(ts.points) ? ts.points : [];
    const lastT = given.length ? given[given.length - 1].t : 0;
    const xMax = Math.max(Date.now(), lastT + step);
    const xMin = xMax - MINUTES * 60 * 1000;
    const points = withGaps(given, step, xMin, xMax);
    const times = points.map((p) => p.t);
    const served = (p) => (p.hits ?? 0) + (p.misses ?? 0);
    const hit = points.map((p) => (served(p) > 0 ? (100 * (p.hits ?? 0)) / served(p) : null));
    const rate = points.map((p) => (p.requests > 0 ? p.requests / (step / 1000) : null));
    const p50 = points.map((p) => (p.requests > 0 && typeof p.p50Ms === 'number' ? p.p50Ms : null));
    const p99 = points.map((p) => (p.requests > 0 && typeof p.p99Ms === 'number' ? p.p99Ms : null));
    const pct = (v) => `${Math.round(v)} %`;
    const axis = (v) => String(Number(v.toFixed(2)));
    const perSec = (v) => (v < 10 ? v.toFixed(v < 1 ? 2 : 1) : String(Math.round(v)));
    drawLineChart($('chart-hit'), { times, xMin, xMax, yMax: 100, yFormat: pct, series: [{ values: hit, color: COLORS.hit }] });
    drawLineChart($('chart-rate'), { times, xMin, xMax, yFormat: axis, series: [{ values: rate, color: COLORS.rate }] });
    drawLineChart($('chart-latency'), {
      times,
      xMin,
      xMax,
      yFormat: axis,
      series: [
        { values: p50, color: COLORS.p50 },
        { values: p99, color: COLORS.p99 },
      ],
    });
    $('sum-hit').textContent = summary(hit, (v) => `${v.toFixed(1)} %`);
    $('sum-rate').textContent = summary(rate, (v) => `${perSec(v)} req/s`);
    const ms = (v) => `${fmtMs(v)} ms`;
    $('sum-latency').textContent = p50.some((v) => v !== null) ? `p50 ${summary(p50, ms)}; p99 ${summary(p99, ms)}` : summary(p50, ms);
    showError($('charts-error'), '');
  } catch (err) {
    showError($('charts-error'), `Charts unavailable: ${err.message}`);
    throw err;
  }
}

const CACHE_TONE = { hit: 'good', miss: 'info', stale: 'warn', negative: 'muted', bypass: 'muted' };

async function loadRequests() {
  const table = $('requests-table');
  try {
    const r = await fetchJson('api/requests?limit=100');
    const rows = (r.requests ?? []).map((q) =>
      el(
        'tr',
        { class: q.status >= 500 ? 'row-bad' : undefined },
        el('td', { title: fmtDateTime(q.time) }, fmtClock(q.time)),
        el('td', null, q.method),
        el('td', { class: 'path' }, el('code', null, q.path)),
        el('td', null, el('span', { class: `badge ${CACHE_TONE[q.cache] ?? 'muted'}` }, q.cache ?? '–')),
        el('td', { class: 'path' }, q.source ?? '–'),
        el('td', { class: 'num' }, q.status),
        el('td', { class: 'num' }, fmtBytes(q.bytes)),
        el('td', { class: 'num' }, fmtMs(q.latencyMs)),
      ),
    );
    fillTable(table, rows, 'No requests yet.');
  } catch (err) {
    fillTable(table, [], `Recent requests unavailable: ${err.message}`);
    throw err;
  }
}

const EVENT_TONE = { pollution: 'bad', sumdb_fork: 'bad', pin_mismatch: 'bad', auth_failure: 'warn', policy_refusal: 'warn' };

async function loadEvents() {
  const table = $('events-table');
  try {
    const r = await fetchJson('api/events?limit=50');
    const rows = (r.events ?? []).map((e) =>
      el(
        'tr',
        null,
        el('td', { title: fmtDateTime(e.time) }, fmtClock(e.time)),
        el('td', null, el('span', { class: `badge ${EVENT_TONE[e.type] ?? 'muted'}` }, e.type)),
        el('td', { title: e.details ? JSON.stringify(e.details) : undefined }, e.message),
      ),
    );
    fillTable(table, rows, 'No events: nothing was refused and no checksum database misbehaved.');
  } catch (err) {
    fillTable(table, [], `Events unavailable: ${err.message}`);
    throw err;
  }
}

let timer;
let running = false;

async function refresh() {
  if (running) return;
  running = true;
  clearTimeout(timer);
  try {
    const results = await Promise.allSettled([loadOverview(), loadTimeseries(), loadRequests(), loadEvents()]);
    const failed = results.filter((r) => r.status === 'rejected').length;
    const refused = results.find((r) => r.status === 'rejected' && (r.reason?.status === 401 || r.reason?.status === 403));
    showError(
      $('token-needed'),
      refused ? `This server needs a token to show its data (${refused.reason.status === 401 ? 'none given' : 'the token was refused'}): enter it above.` : '',
    );
    const status = $('refresh-status');
    status.textContent = `updated ${fmtClock(Date.now())}${failed ? ` — ${failed} of ${results.length} data sources failed` : ''}`;
    status.className = `meta${failed ? ' warn' : ''}`;
    document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed ?? 0) + 1);
  } finally {
    running = false;
    if (!document.hidden) timer = setTimeout(() => void refresh(), REFRESH_MS);
  }
}

document.addEventListener('modgate-token', () => void refresh());

document.addEventListener('visibilitychange', () => {
  if (!document.hidden) void refresh();
});

$('usage-copy').addEventListener('click', () => {
  const text = $('usage-lines').textContent;
  const done = (msg) => ($('usage-copy-status').textContent = msg);
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(
      () => done('copied'),
      () => done('copy failed: select the text and copy it'),
    );
  } else {
    const range = document.createRange();
    range.selectNodeContents($('usage-lines'));
    const sel = window.getSelection();
    sel?.removeAllRanges();
    sel?.addRange(range);
    done('selected: press Ctrl+C to copy');
  }
});

initModules();
void refresh();
