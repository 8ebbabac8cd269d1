// GONOPROXY routing: which upstream chain serves a module path. The public chain is built from the
// upstream list (GOPROXY syntax, already parsed); paths matching the noproxy patterns get a chain of
// the direct (git) upstream only, so they never reach a URL upstream. One direct upstream (with its
// git mirrors) is shared by both chains and created only when an entry or the patterns need it.
import { matchPrefixPatterns } from '../module/patterns.js';
import type { ProxyEntry } from './proxy-list.js';
import type { DirectUpstreamOptions } from './direct-upstream.js';
import { observeUpstream, type FetchObservation } from './observed-upstream.js';
import { createUpstreamChain, type ChainEntry, type UpstreamChain } from './upstream-chain.js';
import { openUrlUpstream, type UpstreamSettings } from './upstream-kinds.js';
import type { Upstream } from './upstream.js';
import { withCircuitBreaker, type BreakerOptions } from './circuit-breaker.js';

export interface Routing {
  /** The chain for a module path: private/noproxy paths go direct only. */
  route(path: string): UpstreamChain;
  /** The chain for public paths. */
  readonly publicChain: UpstreamChain;
  close(): Promise<void>;
}

export interface RoutingOptions {
  /** The upstream list, parsed. */
  readonly entries: readonly ProxyEntry[];
  /** GONOPROXY-style patterns (effective: noproxy, else private); '' = none. */
  readonly noproxy: string;
  /** Settings of URL upstreams (http timeouts, retries). */
  readonly upstream: UpstreamSettings;
  /** Options of the direct upstream, if one is needed. */
  readonly direct: DirectUpstreamOptions;
  /** Hedging after `|` (ms; 0 = off). */
  readonly hedgeAfterMs: number;
  readonly onHedge?: (from: string, to: string) => void;
  /** Receives one observation per upstream fetch (metrics, statistics). */
  readonly observe?: (o: FetchObservation) => void;
  /** Circuit breaker of each network (http/https) upstream; onState is also called with 'closed' at start. */
  readonly breaker?: BreakerOptions;
}

export async function createRouting(opts: RoutingOptions): Promise<Routing> {
  const observed = (u: Upstream): Upstream => (opts.observe ? observeUpstream(u, opts.observe) : u);
  // The direct upstream's code (git, zip creation) is loaded at its first call, not at start:
  // `direct` ends the default chain but is reached only when the proxies before it answer 404.
  let direct: Upstream | undefined;
  const directUpstream = async (): Promise<Upstream> => {
    direct ??= observed(lazyUpstream('direct', async () => (await import('./direct-upstream.js')).createDirectUpstream(opts.direct)));
    return direct;
  };
  const publicEntries: ChainEntry[] = await Promise.all(
    opts.entries.map(async (e): Promise<ChainEntry> => {
      if (e.kind === 'off') return { upstream: 'off', fallBackOnError: false };
      if (e.kind === 'direct') return { upstream: await directUpstream(), fallBackOnError: e.fallBackOnError };
      const upstream = observed(await openUrlUpstream(e.url, opts.upstream));
      // The breaker sits outside the observation: a skipped call is no upstream fetch.
      if (!opts.breaker || opts.breaker.failures <= 0 || !/^https?:/i.test(e.url)) return { upstream, fallBackOnError: e.fallBackOnError };
      opts.breaker.onState?.(upstream.name, 'closed');
      return { upstream: withCircuitBreaker(upstream, opts.breaker), fallBackOnError: e.fallBackOnError };
    }),
  );
  const { noproxy } = opts;
  const publicChain = createUpstreamChain(publicEntries, { hedgeAfterMs: opts.hedgeAfterMs, ...(opts.onHedge ? { onHedge: opts.onHedge } : {}) });
  const privateChain = noproxy ? createUpstreamChain([{ upstream: await directUpstream(), fallBackOnError: false }]) : publicChain;
  return {
    publicChain,
    route: (path) => (noproxy && matchPrefixPatterns(noproxy, path) ? privateChain : publicChain),
    async close() {
      await publicChain.close();
      if (privateChain !== publicChain) await privateChain.close();
    },
  };
}

/** An upstream created by `load` at its first call (once; a failed load fails that call and is retried by the next). */
export function lazyUpstream(name: string, load: () => Promise<Upstream>): Upstream {
  let loaded: Promise<Upstream> | undefined;
  const get = (): Promise<Upstream> => {
    loaded ??= load().catch((err: unknown) => {
      loaded = undefined;
      throw err;
    });
    return loaded;
  };
  return {
    name,
    list: async (path, signal) => (await get()).list(path, signal),
    latest: async (path, signal) => (await get()).latest(path, signal),
    info: async (path, version, signal) => (await get()).info(path, version, signal),
    mod: async (path, version, signal) => (await get()).mod(path, version, signal),
    zip: async (path, version, signal) => (await get()).zip(path, version, signal),
    async close() {
      const u = await loaded?.catch(() => undefined);
      await u?.close?.();
    },
  };
}
