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

export type Attempt<T> = (u: Upstream, signal: AbortSignal) => Promise<T>;

export interface UpstreamChain {
  readonly entries: readonly ChainEntry[];
  /** Names of the URL upstreams, in order. */
  readonly names: readonly string[];
  /**
   * Runs `attempt` against each entry in order until one succeeds, following the fallback rules.
   * Throws the most relevant error (refusals and real failures rank above not-found) when none does.
   * Each attempt gets its own signal (aborted when the run's signal is, or when a hedge won).
   */
  run<T>(what: string, attempt: Attempt<T>, signal?: AbortSignal): Promise<ChainResult<T>>;
  close(): Promise<void>;
}

export interface ChainOptions {
  /**
   * Hedging: when an entry followed by `|` has not answered after this many ms, the next entry is
   * asked too and the first good answer wins (the other is aborted). 0 = off.
   */
  readonly hedgeAfterMs?: number;
  readonly onHedge?: (from: string, to: string) => void;
}

type Outcome<T> = { ok: true; value: T; source: string } | { ok: false; err: ModgateError; entry: ChainEntry & { upstream: Upstream } };

function classify(err: unknown, name: string): ModgateError {
  return err instanceof ModgateError ? err : new ModgateError('UPSTREAM_ERROR', `${name}: ${(err as Error).message}`, { cause: err });
}

export function createUpstreamChain(entries: readonly ChainEntry[], opts: ChainOptions = {}): UpstreamChain {
  const hedgeAfter = opts.hedgeAfterMs ?? 0;

  function start<T>(entry: ChainEntry & { upstream: Upstream }, attempt: Attempt<T>, outer: AbortSignal | undefined) {
    const own = new AbortController();
    const signal = outer ? AbortSignal.any([outer, own.signal]) : own.signal;
    const promise: Promise<Outcome<T>> = attempt(entry.upstream, signal).then(
      (value) => ({ ok: true, value, source: entry.upstream.name }),
      (err: unknown) => ({ ok: false, err: classify(err, entry.upstream.name), entry }),
    );
    return { promise, abort: () => own.abort(new ModgateError('UPSTREAM_ERROR', `${entry.upstream.name}: abandoned (another upstream answered first)`)) };
  }

  /** One entry, hedged with the next after `hedgeAfter` ms when allowed; returns every outcome seen. */
  async function tryEntry<T>(i: number, attempt: Attempt<T>, outer: AbortSignal | undefined): Promise<Array<Outcome<T>>> {
    const entry = entries[i] as ChainEntry & { upstream: Upstream };
    const next = entries[i + 1];
    const first = start(entry, attempt, outer);
    if (!(hedgeAfter > 0 && entry.fallBackOnError && next && next.upstream !== 'off')) return [await first.promise];
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<'slow'>((res) => (timer = setTimeout(() => res('slow'), hedgeAfter)));
    const early = await Promise.race([first.promise, slow]);
    clearTimeout(timer);
    if (early !== 'slow') return [early];
    const nextEntry = next as ChainEntry & { upstream: Upstream };
    opts.onHedge?.(entry.upstream.name, nextEntry.upstream.name);
    const second = start(nextEntry, attempt, outer);
    const winner = await Promise.race([
      first.promise.then((o) => (o.ok ? o : second.promise.then((o2) => (o2.ok ? o2 : undefined)))),
      second.promise.then((o) => (o.ok ? o : first.promise.then((o1) => (o1.ok ? o1 : undefined)))),
    ]);
    if (winner) {
      (winner.source === entry.upstream.name ? second : first).abort();
      return [winner];
    }
    return [await first.promise, await second.promise];
  }

  return {
    entries,
    names: entries.flatMap((e) => (e.upstream === 'off' ? [] : [e.upstream.name])),
    async run(what, attempt, signal) {
      const notFound: string[] = [];
      let worst: ModgateError | undefined;
      let stoppedAtOff = false;
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[i]!;
        if (signal?.aborted) throw signal.reason;
        if (entry.upstream === 'off') {
          stoppedAtOff = true;
          break;
        }
        const outcomes = await tryEntry(i, attempt, signal);
        if (outcomes.length === 2) i++; // the next entry was tried as a hedge
        for (const o of outcomes) {
          if (o.ok) return { value: o.value, source: o.source };
        }
        if (signal?.aborted) throw signal.reason instanceof ModgateError ? signal.reason : (outcomes[0] as { err: ModgateError }).err;
        for (const o of outcomes) {
          if (o.ok) continue;
          const e = o.err;
          if (isNotFound(e)) {
            notFound.push(e.message);
            continue;
          }
          worst ??= e;
          if (!(REFUSED.has(e.code) || o.entry.fallBackOnError)) throw e;
        }
      }
      if (worst) throw worst;
      if (stoppedAtOff) {
        if (notFound.length === 0) throw new ModgateError('UPSTREAMS_OFF', `${what}: module lookup disabled by upstream list "off"`);
        notFound.push('module lookup disabled by upstream list "off"');
      }
      throw new ModgateError('NOT_FOUND', `not found: ${what}`, notFound.length > 0 ? { hint: notFound.map((m) => `  ${m}`).join('\n') } : {});
    },
    async close() {
      await Promise.all(entries.map(async (e) => (e.upstream === 'off' ? undefined : e.upstream.close?.())));
    },
  };
}
