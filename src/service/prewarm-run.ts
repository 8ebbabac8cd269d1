// Prewarm's core (the `modgate prewarm` command and the admin API's prewarm job): fetches what each
// input (go.mod text, go.sum text, module@version) needs through a proxy and returns a report (per
// module, per file kind, failures with reasons). It reads no files and prints nothing.
import { ModgateError } from '../errors/modgate-error.js';
import { createFetcher, type FileKind, type FileResult, type FileStatus } from './prewarm-fetcher.js';
import { prewarmGoMod, prewarmGoSum, prewarmModule, type InputOutcome } from './prewarm-inputs.js';

export type InputKind = 'go.mod' | 'go.sum' | 'module';

/** One input: a go.mod or go.sum as text (named for reports and errors), or module@version. */
export type PrewarmInput =
  | { readonly kind: 'go.mod'; readonly name: string; readonly text: string; readonly dir?: string }
  | { readonly kind: 'go.sum'; readonly name: string; readonly text: string }
  | { readonly kind: 'module'; readonly name: string };

export interface PrewarmOptions {
  readonly inputs: readonly PrewarmInput[];
  /** GOPROXY-protocol base URL (a modgate server, typically). */
  readonly proxy: string;
  readonly concurrency: number;
  readonly retries: number;
  readonly timeoutMs: number;
  /** Backoff before the first retry, doubled each time (default 250 ms). */
  readonly retryBackoffMs?: number;
  /** Called after each file with running counts (for a progress bar). */
  readonly onProgress?: (p: { readonly done: number; readonly total: number; readonly last: FileResult }) => void;
}

export interface PrewarmModule {
  readonly path: string;
  readonly version: string;
  readonly files: Partial<Record<FileKind, FileStatus>>;
}

export type Counts = Record<FileStatus, number>;

export interface PrewarmReport {
  readonly proxy: string;
  /** True when every file was fetched or already cached and every input was usable. */
  readonly ok: boolean;
  readonly inputs: ReadonlyArray<{ readonly input: string; readonly kind: InputKind; readonly modules: number }>;
  /** Every module version touched, sorted; files names what was requested for it and how it went. */
  readonly modules: readonly PrewarmModule[];
  readonly totals: Readonly<Record<FileKind | 'all', Counts>>;
  readonly failures: ReadonlyArray<{ readonly module: string; readonly file: FileKind; readonly reason: string; readonly attempts: number }>;
  readonly errors: readonly string[];
  readonly skipped: ReadonlyArray<{ readonly module: string; readonly reason: string }>;
}

/**
 * The inputs a text names: a go.mod (it has a module directive), a go.sum (every line is
 * `path version h1:...`), else module@version lines. `name` is shown in reports and errors.
 */
export function inputsFromText(text: string, name: string): PrewarmInput[] {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('//'));
  if (/^module\s/m.test(text)) return [{ kind: 'go.mod', name: `${name} (go.mod)`, text }];
  if (lines.length > 0 && lines.every((l) => /^\S+ \S+ h1:\S+$/.test(l))) return [{ kind: 'go.sum', name: `${name} (go.sum)`, text }];
  return lines.map((l) => ({ kind: 'module', name: l }));
}

/** A --proxy flag value as a base URL (no trailing slash): http or https, else a clear refusal naming the command. */
export function validProxyUrl(command: string, url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ModgateError('INVALID_REQUEST', `${command}: --proxy ${JSON.stringify(url)} is not a URL`, { hint: 'e.g. --proxy http://127.0.0.1:3000' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ModgateError('INVALID_REQUEST', `${command}: --proxy must be http or https, not ${u.protocol}`);
  return url.replace(/\/+$/, '');
}

const zero = (): Counts => ({ fetched: 0, cached: 0, failed: 0 });

/** Runs the prewarm; resolves with the report (failures are in it, not thrown). */
export async function prewarm(opts: PrewarmOptions): Promise<PrewarmReport> {
  if (opts.inputs.length === 0) throw new ModgateError('INVALID_REQUEST', 'prewarm: nothing to do', { hint: 'pass go.mod or go.sum files, or module@version' });
  const proxy = validProxyUrl('prewarm', opts.proxy);
  for (const input of opts.inputs) {
    if (input.kind === 'module' && (!input.name.includes('@') || input.name.includes('/@'))) {
      throw new ModgateError('INVALID_REQUEST', `prewarm: ${input.name}: not a file and not module@version`, {
        hint: 'pass go.mod or go.sum files, or module@version (e.g. golang.org/x/text@v0.14.0)',
      });
    }
  }
  let total = 0;
  let done = 0;
  const fetcher = createFetcher({
    proxy,
    concurrency: Math.max(1, opts.concurrency),
    retries: Math.max(0, opts.retries),
    retryBackoffMs: opts.retryBackoffMs ?? 250,
    timeoutMs: opts.timeoutMs,
    // The total grows as the graph walk discovers files.
    onQueued: () => void total++,
    onFile: (last) => opts.onProgress?.({ done: ++done, total, last }),
  });
  const outcomes: InputOutcome[] = [];
  try {
    await Promise.all(
      opts.inputs.map(async (input, i) => {
        if (input.kind === 'module') outcomes[i] = await prewarmModule(input.name, fetcher);
        else if (input.kind === 'go.sum') outcomes[i] = await prewarmGoSum(input.text, input.name, fetcher);
        else outcomes[i] = await prewarmGoMod(input, fetcher);
      }),
    );
  } finally {
    await fetcher.close();
  }
  return buildReport(proxy, opts.inputs, outcomes, fetcher.results());
}

function buildReport(proxy: string, inputs: readonly PrewarmInput[], outcomes: readonly (InputOutcome | undefined)[], results: readonly FileResult[]): PrewarmReport {
  const modules = new Map<string, { path: string; version: string; files: Partial<Record<FileKind, FileStatus>> }>();
  const totals = { info: zero(), mod: zero(), zip: zero(), all: zero() };
  const failures: Array<{ module: string; file: FileKind; reason: string; attempts: number }> = [];
  for (const r of results) {
    const k = `${r.path}@${r.version}`;
    let m = modules.get(k);
    if (!m) modules.set(k, (m = { path: r.path, version: r.version, files: {} }));
    m.files[r.kind] = r.status;
    totals[r.kind][r.status]++;
    totals.all[r.status]++;
    if (r.status === 'failed') failures.push({ module: k, file: r.kind, reason: r.reason ?? 'failed', attempts: r.attempts });
  }
  const errors = outcomes.flatMap((o) => o?.errors ?? []);
  const sorted = [...modules.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  const order = (f: { module: string; file: FileKind }): string => `${f.module} ${['info', 'mod', 'zip'].indexOf(f.file)}`;
  failures.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  return {
    proxy,
    ok: failures.length === 0 && errors.length === 0,
    inputs: inputs.map((input, i) => ({ input: input.name, kind: input.kind, modules: outcomes[i]?.modules ?? 0 })),
    modules: sorted,
    totals,
    failures,
    errors,
    skipped: outcomes.flatMap((o) => o?.skipped ?? []),
  };
}
