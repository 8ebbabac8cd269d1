// Parses an upstream list in GOPROXY syntax into entries, as the go command does:
// `,` falls through only on not-found, `|` on any error; `off` and `direct` end the list.
import { isAbsolute } from 'node:path';
import { ModgateError } from '../errors/modgate-error.js';

export type ProxyEntry =
  | { readonly kind: 'url'; readonly url: string; readonly fallBackOnError: boolean }
  | { readonly kind: 'off' }
  | { readonly kind: 'direct'; readonly fallBackOnError: boolean };

/** The go command's default (GOPROXY unset). */
export const GO_DEFAULT_PROXY = 'https://proxy.golang.org,direct';

export function parseProxyList(list: string): ProxyEntry[] {
  const out: ProxyEntry[] = [];
  let rest = list.trim() === '' ? GO_DEFAULT_PROXY : list;
  while (rest !== '') {
    const i = rest.search(/[,|]/);
    const raw = (i >= 0 ? rest.slice(0, i) : rest).trim();
    const fallBackOnError = i >= 0 && rest[i] === '|';
    rest = i >= 0 ? rest.slice(i + 1) : '';
    if (raw === '') continue;
    if (raw === 'off') {
      out.push({ kind: 'off' });
      break;
    }
    if (raw === 'direct') {
      out.push({ kind: 'direct', fallBackOnError });
      break;
    }
    if (raw === 'noproxy') {
      throw new ModgateError('CONFIG_INVALID', 'upstream list: "noproxy" is not supported by modgate', {
        hint: 'use the private/noproxy pattern settings instead',
      });
    }
    let url = raw;
    if (/[.:/]/.test(url) && !url.includes(':/') && !isAbsolute(url)) url = `https://${url}`;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ModgateError('CONFIG_INVALID', `upstream list: invalid proxy URL ${JSON.stringify(raw)}`, {
        hint: 'expected https://host[/path], http://host[/path], file:///dir, direct or off, separated by , or |',
      });
    }
    if (!['https:', 'http:', 'file:'].includes(parsed.protocol)) {
      throw new ModgateError('CONFIG_INVALID', `upstream list: unsupported scheme in ${JSON.stringify(raw)}`, {
        hint: 'schemes allowed: https, http, file',
      });
    }
    if (parsed.protocol === 'file:' && (parsed.host !== '' || parsed.search !== '' || parsed.hash !== '')) {
      throw new ModgateError('CONFIG_INVALID', `upstream list: file URL ${JSON.stringify(raw)} must be file:///absolute/path`);
    }
    out.push({ kind: 'url', url: url.replace(/\/+$/, ''), fallBackOnError });
  }
  return out;
}

/** A URL with any user:password removed, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
    }
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//');
  }
}

/** The list in GOPROXY syntax again, credentials removed (for logs). */
export function describeProxyList(entries: readonly ProxyEntry[]): string {
  return entries
    .map((e, i) => {
      const name = e.kind === 'url' ? redactUrl(e.url) : e.kind;
      return i === entries.length - 1 ? name : `${name}${e.kind !== 'off' && e.fallBackOnError ? '|' : ','}`;
    })
    .join('');
}
