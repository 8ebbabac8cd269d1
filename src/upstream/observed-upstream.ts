// Wraps an Upstream to report every fetch (kind, outcome, duration) — for metrics and the
// upstream-health view. Zip durations cover the time to response headers only.
import { isModgateError, isNotFound } from '../errors/modgate-error.js';
import type { FileKind, Upstream } from './upstream.js';

export type FetchOutcome = 'ok' | 'not_found' | 'error';

export interface FetchObservation {
  readonly upstream: string;
  readonly kind: FileKind;
  readonly outcome: FetchOutcome;
  readonly ms: number;
  /** The failure, for outcome 'error' (never credentials: upstream names are redacted). */
  readonly error?: string;
}

export function observeUpstream(u: Upstream, report: (o: FetchObservation) => void): Upstream {
  const wrap = <T>(kind: FileKind, run: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    return run().then(
      (v) => {
        report({ upstream: u.name, kind, outcome: 'ok', ms: performance.now() - start });
        return v;
      },
      (err: unknown) => {
        const outcome: FetchOutcome = isNotFound(err) ? 'not_found' : 'error';
        const error = isModgateError(err) ? err.message : err instanceof Error ? err.message : String(err);
        report({ upstream: u.name, kind, outcome, ms: performance.now() - start, ...(outcome === 'error' ? { error } : {}) });
        throw err;
      },
    );
  };
  return {
    name: u.name,
    list: (p, s) => wrap('list', () => u.list(p, s)),
    latest: (p, s) => wrap('latest', () => u.latest(p, s)),
    info: (p, v, s) => wrap('info', () => u.info(p, v, s)),
    mod: (p, v, s) => wrap('mod', () => u.mod(p, v, s)),
    zip: (p, v, s) => wrap('zip', () => u.zip(p, v, s)),
    ...(u.close ? { close: () => u.close!() } : {}),
  };
}
