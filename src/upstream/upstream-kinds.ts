// The upstream kinds by URL scheme (the entries of a GOPROXY-syntax list other than the keywords
// `direct` and `off`, which upstream-routing.ts handles). A kind is one file (implementing Upstream
// and passing upstream-compliance) plus one line here; proxy-list.ts names the accepted schemes.
// Loaders use dynamic import() so that a kind's code (undici for http) is loaded only when used.
import { ModgateError } from '../errors/modgate-error.js';
import type { Upstream } from './upstream.js';
import type { HttpUpstreamOptions } from './http-upstream.js';

/** Settings URL upstreams may read (timeouts, limits and retries of network upstreams). */
export type UpstreamSettings = Omit<HttpUpstreamOptions, 'url'>;

type Opener = (url: string, settings: UpstreamSettings) => Promise<Upstream>;

const openHttp: Opener = async (url, settings) => (await import('./http-upstream.js')).createHttpUpstream({ url, ...settings });

const KINDS: Readonly<Record<string, Opener>> = {
  https: openHttp,
  http: openHttp,
  file: async (url) => (await import('./file-upstream.js')).createFileUpstream(url),
};

/** Opens the upstream for a URL entry of the list (its scheme picks the kind). */
export function openUrlUpstream(url: string, settings: UpstreamSettings): Promise<Upstream> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase() ?? '';
  const open = KINDS[scheme];
  if (!open) throw new ModgateError('CONFIG_INVALID', `upstream list: no upstream kind for ${scheme || 'a URL without a scheme'}`, { hint: `kinds: ${Object.keys(KINDS).join(', ')}, direct, off` });
  return open(url, settings);
}
