// What a request's upstream work did that only the upstream layer sees (upstreams skipped because
// their circuit was open), collected for that request's flow log line. The http layer runs the cache
// call in a scope; code below notes into it without knowing about requests.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface FlowNotes {
  /** Upstreams skipped because their circuit breaker was open. */
  skipped?: string[];
}

const scope = new AsyncLocalStorage<FlowNotes>();

/** Runs `fn` with `notes` as the current request's notes. */
export function withFlowNotes<T>(notes: FlowNotes, fn: () => T): T {
  return scope.run(notes, fn);
}

/** Notes an upstream skipped as open in the current request's notes (no-op outside a request). */
export function noteSkippedUpstream(name: string): void {
  const notes = scope.getStore();
  if (!notes) return;
  notes.skipped ??= [];
  if (!notes.skipped.includes(name)) notes.skipped.push(name);
}
