// A per-upstream circuit breaker: after `failures` consecutive failures (connection errors,
// timeouts, 5xx — never not-found or an aborted call) the upstream is skipped at once for
// `coolDownMs`; then one call is let through as a probe (half-open): success closes the circuit,
// failure opens it again. A skipped call throws UPSTREAM_ERROR, so a `|` chain moves on without
// waiting. A zip counts when its body ends or fails, not at its headers (a slow drip is a failure).
import type { Readable } from 'node:stream';
import { ModgateError, isModgateError } from '../errors/modgate-error.js';
import type { FileKind, Upstream } from './upstream.js';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  /** Consecutive failures that open the circuit; 0 = breaker off. */
  readonly failures: number;
  /** How long an open circuit skips the upstream before a probe is let through (ms). */
  readonly coolDownMs: number;
  readonly now?: () => number;
  /** Called on every state change. */
  readonly onState?: (upstream: string, state: CircuitState) => void;
  /** Called when a call is skipped because the circuit is open. */
  readonly onSkip?: (upstream: string, kind: FileKind) => void;
}

export interface BrokenUpstream extends Upstream {
  /** The circuit's state now (an open circuit past its cool-down reports half_open). */
  circuit(): { state: CircuitState; consecutiveFailures: number; lastFailure?: string };
}

/** Failures that say something about the upstream's health. */
function countsAsFailure(err: unknown): boolean {
  return isModgateError(err, 'UPSTREAM_ERROR') || isModgateError(err, 'UPSTREAM_TIMEOUT');
}

export function withCircuitBreaker(u: Upstream, opts: BreakerOptions): BrokenUpstream {
  const now = opts.now ?? Date.now;
  let state: CircuitState = 'closed';
  let consecutive = 0;
  let openedAt = 0;
  let probing = false;
  let lastFailure: string | undefined;

  const setState = (s: CircuitState): void => {
    if (s === state) return;
    state = s;
    opts.onState?.(u.name, s);
  };
  const succeeded = (): void => {
    consecutive = 0;
    setState('closed');
  };
  const failed = (err: unknown): void => {
    consecutive++;
    lastFailure = err instanceof Error ? err.message : String(err);
    if (state === 'half_open' || consecutive >= opts.failures) {
      openedAt = now();
      setState('open');
    }
  };

  /** Lets a call through, or throws when the circuit is open; returns whether this call is the probe. */
  function admit(kind: FileKind): boolean {
    if (state === 'open' && now() - openedAt >= opts.coolDownMs && !probing) {
      setState('half_open');
    }
    if (state === 'closed') return false;
    if (state === 'half_open' && !probing) {
      probing = true;
      return true;
    }
    opts.onSkip?.(u.name, kind);
    const wait = Math.max(0, Math.ceil((openedAt + opts.coolDownMs - now()) / 1000));
    throw new ModgateError('UPSTREAM_ERROR', `${u.name}: skipped, circuit open after ${consecutive} consecutive failures (next probe in ${wait} s; last: ${lastFailure ?? 'unknown'})`, {
      details: { circuitOpen: u.name },
    });
  }

  function settle(err: unknown, signal: AbortSignal | undefined): void {
    if (err === undefined) succeeded();
    else if (!signal?.aborted && countsAsFailure(err)) failed(err);
    else if (state === 'half_open') setState('open'); // the probe told nothing: wait for another
  }

  async function call<T>(kind: FileKind, signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
    if (opts.failures <= 0) return run();
    const probe = admit(kind);
    try {
      const v = await run();
      settle(undefined, signal);
      return v;
    } catch (err) {
      settle(isModgateError(err) && !countsAsFailure(err) ? undefined : err, signal);
      throw err;
    } finally {
      if (probe) probing = false;
    }
  }

  /** A zip is judged by its body: success at its end, failure when it errors. */
  async function zip(path: string, version: string, signal?: AbortSignal): Promise<Readable> {
    if (opts.failures <= 0) return u.zip(path, version, signal);
    const probe = admit('zip');
    let body: Readable;
    try {
      body = await u.zip(path, version, signal);
    } catch (err) {
      if (probe) probing = false;
      settle(isModgateError(err) && !countsAsFailure(err) ? undefined : err, signal);
      throw err;
    }
    let settled = false;
    const once = (err: unknown): void => {
      if (settled) return;
      settled = true;
      if (probe) probing = false;
      settle(err, signal);
    };
    body.once('end', () => once(undefined));
    body.once('error', (err) => once(err));
    body.once('close', () => {
      if (!settled && probe) {
        settled = true;
        probing = false;
        if (state === 'half_open') setState('open');
      }
    });
    return body;
  }

  return {
    name: u.name,
    list: (p, s) => call('list', s, () => u.list(p, s)),
    latest: (p, s) => call('latest', s, () => u.latest(p, s)),
    info: (p, v, s) => call('info', s, () => u.info(p, v, s)),
    mod: (p, v, s) => call('mod', s, () => u.mod(p, v, s)),
    zip,
    circuit() {
      const shown = state === 'open' && now() - openedAt >= opts.coolDownMs ? 'half_open' : state;
      return { state: shown, consecutiveFailures: consecutive, ...(lastFailure !== undefined ? { lastFailure } : {}) };
    },
    ...(u.close ? { close: () => u.close!() } : {}),
  };
}
