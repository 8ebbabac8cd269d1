// The upstream kinds by URL scheme (the entries of a GOPROXY-syntax list other than the keywords
// `direct` and `off`, which upstream-routing.ts handles). A kind is one file (implementing Upstream
// and passing upstream-compliance) plus one line here; proxy-list.ts names the accepted schemes.
// Loaders use dynamic import() so that a kind's code (undici for http) is loaded only when used.
import { ModgateError } from '../errors/modgate-error.js';
import type { Upstream } from './upstream.js';
import type { HttpUpstreamOptions } from './http-upstream.js';
import { redactUrl } from './proxy-list.js';

/** Settings URL upstreams may read (timeouts, limits and retries of network upstreams). */
export type UpstreamSettings = Omit<HttpUpstreamOptions, 'url'>;

type Opener = (url: string, settings: UpstreamSettings) => Promise<Upstream>;

/** An upstream whose code is loaded on its first request, so a server that never misses never loads it. */
function loadedOnFirstUse(name: string, load: () => Promise<Upstream>): Upstream {
  let loaded: Promise<Upstream> | undefined;
  const real = (): Promise<Upstream> => (loaded ??= load());
  return {
    name,
    list: async (path, signal) => (await real()).list(path, signal),
    latest: async (path, signal) => (await real()).latest(path, signal),
    info: async (path, version, signal) => (await real()).info(path, version, signal),
    mod: async (path, version, signal) => (await real()).mod(path, version, signal),
    zip: async (path, version, signal) => (await real()).zip(path, version, signal),
    close: async () => {
      if (loaded) await (await loaded).close?.();
    },
  };
}

// undici (the http kind's client) is loaded with the first request to the upstream, not at startup.
const openHttp: Opener = (url, settings) =>
  Promise.resolve(loadedOnFirstUse(redactUrl(url), async () => (await import('./http-upstream.js')).createHttpUpstream({ url, ...settings })));

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
