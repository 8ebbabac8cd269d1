// `modgate doctor`'s network checks: each GOPROXY entry (reachable? how fast? speaks the GOPROXY
// protocol? proxies the checksum database?) and the checksum database (`/latest` is a signed tree
// note that verifies with the configured key). Requests carry no module path of the user's.
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { parseVerifierKey, openNote } from '../sumdb/note.js';
import { parseTree } from '../sumdb/tlog-note.js';
import type { GosumdbConfig } from '../sumdb/gosumdb.js';
import type { ProxyEntry } from '../upstream/proxy-list.js';
import { redactUrl } from '../upstream/proxy-list.js';
import type { Finding } from './doctor-settings.js';

export type ProbeState = 'ok' | 'not-found' | 'bad-answer' | 'down' | 'timeout' | 'skipped';

export interface MirrorRow {
  /** The entry as written (credentials removed), or direct/off. */
  readonly entry: string;
  /** What follows it: "," (fall back on 404/410 only), "|" (on any error) or "" (last). */
  readonly separator: ',' | '|' | '';
  readonly state: ProbeState;
  readonly latencyMs?: number;
  /** HTTP status of the protocol probe (GET <entry>/<probe module>/@v/list). */
  readonly status?: number;
  /** True when GET <entry>/sumdb/<name>/supported answered 200. */
  readonly proxiesSumdb?: boolean;
  readonly detail: string;
}

export interface SumdbProbe {
  readonly name: string;
  readonly url: string;
  readonly state: ProbeState;
  readonly latencyMs?: number;
  readonly treeSize?: number;
  readonly detail: string;
}

interface HttpAnswer { status: number; contentType: string; body: Buffer; latencyMs: number }

async function get(url: string, timeoutMs: number): Promise<HttpAnswer> {
  const start = performance.now();
  const res = await request(url, { signal: AbortSignal.timeout(timeoutMs), headers: { 'user-agent': 'modgate-doctor' }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const body = Buffer.from(await res.body.arrayBuffer());
  const ct = res.headers['content-type'];
  return { status: res.statusCode, contentType: (Array.isArray(ct) ? ct[0] : ct) ?? '', body, latencyMs: Math.round(performance.now() - start) };
}

function failure(err: unknown, timeoutMs: number): { state: ProbeState; detail: string } {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/.test(e.code ?? '')) return { state: 'timeout', detail: `no answer within ${timeoutMs} ms` };
  return { state: 'down', detail: e.code ?? e.cause?.code ?? e.message ?? String(err) };
}

export interface ProbeProxiesOptions {
  readonly entries: readonly ProxyEntry[];
  readonly sumdb: GosumdbConfig | undefined;
  /** A public module whose list the protocol probe asks for. */
  readonly probeModule: string;
  readonly timeoutMs: number;
}

/** Probes every entry in parallel; rows keep GOPROXY order. */
export async function probeProxies(opts: ProbeProxiesOptions): Promise<MirrorRow[]> {
  return Promise.all(
    opts.entries.map(async (e, i): Promise<MirrorRow> => {
      if (e.kind === 'off') return { entry: 'off', separator: '', state: 'skipped', detail: 'ends the list' };
      const separator = i === opts.entries.length - 1 ? '' : e.fallBackOnError ? '|' : ',';
      if (e.kind === 'direct') return { entry: 'direct', separator, state: 'skipped', detail: 'fetches from version control' };
      const entry = redactUrl(e.url);
      if (e.url.startsWith('file:')) {
        const ok = await stat(fileURLToPath(e.url)).then((s) => s.isDirectory(), () => false);
        return { entry, separator, state: ok ? 'ok' : 'down', detail: ok ? 'directory exists' : 'no such directory' };
      }
      let answer: HttpAnswer;
      try {
        answer = await get(`${e.url}/${opts.probeModule}/@v/list`, opts.timeoutMs);
      } catch (err) {
        return { entry, separator, ...failure(err, opts.timeoutMs) };
      }
      const html = /html/i.test(answer.contentType);
      let row: MirrorRow;
      if (answer.status === 200 && !html) row = { entry, separator, state: 'ok', status: 200, latencyMs: answer.latencyMs, detail: `speaks GOPROXY (${opts.probeModule}: ${answer.body.toString('utf8').split('\n').filter((l) => l.trim() !== '').length} versions)` };
      else if (answer.status === 404 || answer.status === 410) row = { entry, separator, state: 'not-found', status: answer.status, latencyMs: answer.latencyMs, detail: `reachable; ${opts.probeModule} not found (${answer.status}), normal for a private mirror` };
      else row = { entry, separator, state: 'bad-answer', status: answer.status, latencyMs: answer.latencyMs, detail: html ? `answered HTML (${answer.status}): not a GOPROXY endpoint?` : `answered ${answer.status} to a list request` };
      if (opts.sumdb && !opts.sumdb.explicitUrl) {
        const sup = await get(`${e.url}/sumdb/${opts.sumdb.name}/supported`, opts.timeoutMs).catch(() => undefined);
        row = { ...row, proxiesSumdb: sup?.status === 200 };
      }
      return row;
    }),
  );
}

/** Findings for unhealthy entries: an error when the go command cannot get past it (`,` or last). */
export function mirrorFindings(rows: readonly MirrorRow[]): Finding[] {
  const out: Finding[] = [];
  for (const r of rows) {
    if (r.state !== 'down' && r.state !== 'timeout' && r.state !== 'bad-answer') continue;
    const fatal = r.separator !== '|';
    out.push({
      id: `proxy-${r.state}`,
      severity: fatal ? 'error' : 'warning',
      message: `GOPROXY entry ${r.entry} is ${r.state === 'bad-answer' ? 'answering wrongly' : r.state}: ${r.detail}${fatal ? '; the go command only falls back after 404/410, so downloads fail here' : '; downloads fall back to the next entry after the delay'}`,
      fix: fatal ? `fix or remove ${r.entry}, or separate it from the next entry with "|" to fall back on any error` : `fix or remove ${r.entry}`,
    });
  }
  return out;
}

/**
 * Where the go command reaches the checksum database: the URL given in GOSUMDB; else through the
 * first proxy that answers 200 to /sumdb/<name>/supported; else https://<name>.
 */
export function sumdbBase(db: GosumdbConfig, rows: readonly MirrorRow[]): string {
  if (db.explicitUrl) return db.url;
  const via = rows.find((r) => r.proxiesSumdb === true);
  return via ? `${via.entry}/sumdb/${db.name}` : db.url;
}

/** GETs <base>/latest and checks it is a tree note signed by the configured key. */
export async function probeSumdb(db: GosumdbConfig, base: string, timeoutMs: number): Promise<SumdbProbe> {
  const url = `${base}/latest`;
  let answer: HttpAnswer;
  try {
    answer = await get(url, timeoutMs);
  } catch (err) {
    return { name: db.name, url: redactUrl(base), ...failure(err, timeoutMs) };
  }
  const common = { name: db.name, url: redactUrl(base), latencyMs: answer.latencyMs };
  if (answer.status !== 200) return { ...common, state: 'bad-answer', detail: `/latest answered ${answer.status}` };
  try {
    const note = openNote(answer.body, [parseVerifierKey(db.vkey)]);
    const tree = parseTree(note.text);
    return { ...common, state: 'ok', treeSize: tree.n, detail: `signed tree of ${tree.n} records verifies with ${db.name}'s key` };
  } catch (err) {
    return { ...common, state: 'bad-answer', detail: `/latest is not a valid signed tree note: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export function sumdbFindings(p: SumdbProbe): Finding[] {
  if (p.state === 'ok') return [];
  return [{
    id: `sumdb-${p.state}`,
    severity: 'error',
    message: `checksum database ${p.name} at ${p.url} is ${p.state === 'bad-answer' ? 'answering wrongly' : p.state}: ${p.detail}; the go command cannot verify modules that are not yet in go.sum`,
    fix: `check the network path to ${p.url} (or a proxy that serves /sumdb/${p.name}/), or the key in GOSUMDB`,
  }];
}
