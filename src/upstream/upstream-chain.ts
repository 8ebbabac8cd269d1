// The upstream chain with the go command's fallback semantics: after a `,` entry only not-found
// (404/410, or bytes refused by the integrity gate) moves on; after a `|` entry any error does.
// `off` ends the chain with "module lookup disabled". The reported error is the most relevant one.
import { ModgateError, isNotFound } from '../errors/modgate-error.js';
import type { Upstream } from './upstream.js';

export interface ChainEntry {
  /** The upstream, or 'off' (lookup disabled). */
  readonly upstream: Upstream | 'off';
  /** True when this entry was followed by `|`: any error falls through to the next entry. */
  readonly fallBackOnError: boolean;
}

export interface ChainResult<T> {
  readonly value: T;
  /** Name of the upstream that answered. */
  readonly source: string;
}

/** Errors where the integrity gate refused an upstream's bytes: treated like 404 for fallback. */
const REFUSED = new Set(['CHECKSUM_MISMATCH', 'ZIP_INVALID', 'UPSTREAM_BAD_RESPONSE']);

export interface UpstreamChain {
  readonly entries: readonly ChainEntry[];
  /** Names of the URL upstreams, in order. */
  readonly names: readonly string[];
  /**
   * Runs `attempt` against each entry in order until one succeeds, following the fallback rules.
   * Throws the most relevant error (refusals and real failures rank above not-found) when none does.
   */
  run<T>(what: string, attempt: (u: Upstream) => Promise<T>, signal?: AbortSignal): Promise<ChainResult<T>>;
  close(): Promise<void>;
}

export function createUpstreamChain(entries: readonly ChainEntry[]): UpstreamChain {
  return {
    entries,
    names: entries.flatMap((e) => (e.upstream === 'off' ? [] : [e.upstream.name])),
    async run(what, attempt, signal) {
      const notFound: string[] = [];
      let worst: ModgateError | undefined;
      for (const entry of entries) {
        if (signal?.aborted) throw signal.reason;
        if (entry.upstream === 'off') {
          notFound.push('module lookup disabled by upstream list "off"');
          break;
        }
        try {
          return { value: await attempt(entry.upstream), source: entry.upstream.name };
        } catch (err) {
          if (signal?.aborted) throw err;
          const e =
            err instanceof ModgateError
              ? err
              : new ModgateError('UPSTREAM_ERROR', `${entry.upstream.name}: ${(err as Error).message}`, { cause: err });
          if (isNotFound(e)) {
            notFound.push(e.message);
            continue;
          }
          if (!worst) worst = e;
          if (REFUSED.has(e.code) || entry.fallBackOnError) continue;
          throw e;
        }
      }
      if (worst) throw worst;
      if (entries.length > 0 && entries.at(-1)?.upstream === 'off' && notFound.length === 1) {
        throw new ModgateError('UPSTREAMS_OFF', `${what}: module lookup disabled by upstream list "off"`);
      }
      throw new ModgateError('NOT_FOUND', `not found: ${what}`, {
        hint: notFound.length > 0 ? notFound.map((m) => `  ${m}`).join('\n') : undefined,
      } as { hint?: string });
    },
    async close() {
      await Promise.all(entries.map(async (e) => (e.upstream === 'off' ? undefined : e.upstream.close?.())));
    },
  };
}
