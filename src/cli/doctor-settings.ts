// `modgate doctor`'s checks of the settings themselves (no network): GOPROXY=off or without a
// fallback, GOSUMDB=off, GOFLAGS -insecure, GOINSECURE, GONOSUMDB broader than GOPRIVATE, and
// private-looking requirements of the current go.mod that GOPRIVATE does not cover.
import { parseGosumdb } from '../sumdb/gosumdb.js';
import { matchPrefixPatterns } from '../module/patterns.js';
import { parseProxyList, type ProxyEntry } from '../upstream/proxy-list.js';
import type { GoSettings } from './doctor-env.js';

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  /** Stable identifier, e.g. "goproxy-off". */
  readonly id: string;
  readonly severity: Severity;
  readonly message: string;
  /** What to do about it. */
  readonly fix: string;
}

/** GOPROXY parsed, or the reason it cannot be. */
export function proxyEntries(s: GoSettings): ProxyEntry[] | string {
  try {
    return parseProxyList(s.GOPROXY);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

const globs = (list: string): string[] => list.split(',').map((g) => g.trim().replace(/\/$/, '')).filter((g) => g !== '');

/** Checks of GOPROXY, GOSUMDB, GOFLAGS, GOINSECURE and the no-sumdb patterns. */
export function checkSettings(s: GoSettings): Finding[] {
  const out: Finding[] = [];
  const entries = proxyEntries(s);
  if (typeof entries === 'string') {
    out.push({ id: 'goproxy-invalid', severity: 'error', message: `GOPROXY=${s.GOPROXY} is invalid: ${entries}`, fix: 'go env -w GOPROXY=https://proxy.golang.org,direct (or your proxy)' });
  } else if (entries[0]?.kind === 'off') {
    out.push({ id: 'goproxy-off', severity: 'error', message: 'GOPROXY=off: the go command downloads nothing; every module not already in the module cache fails ("module lookup disabled by GOPROXY=off")', fix: 'go env -w GOPROXY=<your modgate URL>,direct' });
  } else {
    const urls = entries.filter((e) => e.kind === 'url');
    const hasFallback = entries.length > 1 && entries.some((e, i) => i > 0 && e.kind !== 'off');
    if (urls.length === 1 && !hasFallback) {
      out.push({ id: 'goproxy-no-fallback', severity: 'warning', message: `GOPROXY=${s.GOPROXY} has a single proxy and no fallback: when it is down, every download fails`, fix: `go env -w GOPROXY=${s.GOPROXY},direct  (or "${s.GOPROXY}|https://proxy.golang.org" to fall back on any error)` });
    }
  }
  let sumdbOff = false;
  try {
    sumdbOff = parseGosumdb(s.GOSUMDB) === 'off';
  } catch (err) {
    out.push({ id: 'gosumdb-invalid', severity: 'error', message: `GOSUMDB=${s.GOSUMDB} is invalid: ${err instanceof Error ? err.message : String(err)}`, fix: 'go env -u GOSUMDB (Go\'s default, sum.golang.org), or "name", "key" or "key url"' });
  }
  if (sumdbOff) {
    out.push({ id: 'gosumdb-off', severity: 'warning', message: 'GOSUMDB=off: downloaded modules are not checked against a checksum database; a proxy or VCS host can serve altered code unnoticed', fix: 'go env -u GOSUMDB, and list private modules in GOPRIVATE instead' });
  }
  if (/(^|\s)--?insecure(=true)?(\s|$)/.test(s.GOFLAGS)) {
    out.push({ id: 'goflags-insecure', severity: 'warning', message: `GOFLAGS=${s.GOFLAGS} contains -insecure: plain http and unchecked certificates for every module fetched directly (and the flag is gone from go get since Go 1.17)`, fix: 'remove -insecure from GOFLAGS; list only the hosts that need it in GOINSECURE' });
  }
  if (s.GOINSECURE.trim() !== '') {
    out.push({ id: 'goinsecure', severity: 'warning', message: `GOINSECURE=${s.GOINSECURE}: modules matching it are fetched directly over plain http and without certificate checks`, fix: 'serve those hosts over https with a trusted certificate and go env -u GOINSECURE' });
  }
  const checked: Array<[string, string]> = [['GONOSUMDB', s.GONOSUMDB]];
  if (s.GONOSUMCHECK !== undefined) {
    out.push({ id: 'gonosumcheck-ignored', severity: 'warning', message: `GONOSUMCHECK=${s.GONOSUMCHECK} is set, but the go command does not read it (only GONOSUMDB, which defaults to GOPRIVATE)`, fix: 'unset GONOSUMCHECK; put private module patterns in GOPRIVATE' });
    checked.push(['GONOSUMCHECK', s.GONOSUMCHECK]);
  }
  for (const [name, value] of checked) {
    const broader = globs(value).filter((g) => !globs(s.GOPRIVATE).includes(g) && !matchPrefixPatterns(s.GOPRIVATE, g));
    if (broader.length === 0 || sumdbOff) continue;
    const everything = broader.some((g) => /^\*+$/.test(g) || g === '*.*');
    out.push({
      id: `${name.toLowerCase()}-broader-than-goprivate`,
      severity: 'warning',
      message: `${name}=${value} skips checksum verification for ${broader.join(', ')}${everything ? ' (every module!)' : ''}, which GOPRIVATE does not cover: public modules there are not verified`,
      fix: `keep ${name} within GOPRIVATE (go env -u ${name} makes it default to GOPRIVATE)`,
    });
  }
  return out;
}

/** Top-level domains and labels that only exist inside organisations. */
const PRIVATE_TLDS = new Set(['local', 'localdomain', 'lan', 'internal', 'intranet', 'corp', 'private', 'home', 'test', 'example', 'invalid', 'localhost']);
const PRIVATE_LABELS = new Set(['corp', 'internal', 'intranet', 'private']);
/** Hosts serving public modules: sharing the main module's host there says nothing. */
const PUBLIC_HOSTS = new Set(['github.com', 'gitlab.com', 'bitbucket.org', 'golang.org', 'google.golang.org', 'gopkg.in', 'go.googlesource.com', 'cloud.google.com', 'k8s.io', 'sigs.k8s.io', 'go.uber.org', 'go.opentelemetry.io', 'honnef.co', 'gitea.com', 'codeberg.org', 'sr.ht', 'git.sr.ht']);

/** Why a module path looks private, or undefined. Only the host (first path element) is examined. */
export function privateReason(path: string, mainPath: string): string | undefined {
  const host = (path.split('/')[0] ?? '').toLowerCase().replace(/:\d+$/, '');
  const labels = host.split('.');
  if (/^(10|127)\.|^192\.168\.|^172\.(1[6-9]|2\d|3[01])\./.test(host)) return `host ${host} is a private IP address`;
  if (PRIVATE_TLDS.has(labels.at(-1) ?? '') || host.endsWith('.home.arpa')) return `host ${host} has a non-public top-level domain`;
  const label = labels.slice(0, -2).find((l) => PRIVATE_LABELS.has(l)); // not the registrable domain itself
  if (label !== undefined) return `host ${host} has a "${label}" label`;
  const mainHost = (mainPath.split('/')[0] ?? '').toLowerCase();
  if (path !== mainPath && host === mainHost && !PUBLIC_HOSTS.has(host)) return `same host as the main module ${mainPath}`;
  return undefined;
}

/**
 * Requirements (and non-local replacements) of the current go.mod that look private (see
 * privateReason) and that GONOPROXY / GONOSUMDB do not cover: the go command sends their paths to
 * the proxies and to the checksum database. Doctor itself never sends module paths anywhere.
 */
export function checkPrivateLeaks(s: GoSettings, mainPath: string, paths: readonly string[]): Finding[] {
  const entries = proxyEntries(s);
  const usesProxy = typeof entries !== 'string' && entries.some((e) => e.kind === 'url');
  let usesSumdb = true;
  try {
    usesSumdb = parseGosumdb(s.GOSUMDB) !== 'off';
  } catch {
    // reported by checkSettings
  }
  const out: Finding[] = [];
  for (const path of [...new Set(paths)].sort()) {
    const reason = privateReason(path, mainPath);
    if (reason === undefined) continue;
    const to = [usesProxy && !matchPrefixPatterns(s.GONOPROXY, path) ? 'the GOPROXY proxies' : '', usesSumdb && !matchPrefixPatterns(s.GONOSUMDB, path) ? 'the checksum database' : ''].filter((x) => x !== '');
    if (to.length === 0) continue;
    const host = path.split('/')[0] ?? path;
    out.push({
      id: 'private-module-leak',
      severity: 'warning',
      message: `${path} looks private (${reason}) but GOPRIVATE does not cover it: the go command sends its path to ${to.join(' and ')}`,
      fix: `go env -w GOPRIVATE=${s.GOPRIVATE === '' ? host : `${s.GOPRIVATE},${host}`}`,
    });
  }
  return out;
}
