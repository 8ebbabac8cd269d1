// Small statistics and formatting helpers shared by the benchmark scripts.

/** Median of xs (NaN for an empty list). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile p (0..100) of xs (NaN for an empty list). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1]!;
}

/** 1234567 → "1.18 MiB". */
export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** A ratio as "0.93×". */
export const fmtRatio = (r: number): string => `${r.toFixed(2)}×`;

/**
 * One results-table row, printed to stdout as `ROW |...|`; bench/run-all.ts collects these and adds
 * the command column. Everything else a script prints to stdout is kept as its details section.
 */
export interface ResultRow {
  benchmark: string;
  modgate: string;
  baseline: string;
  ratio: string;
  target: string;
  /** "yes", "no", or "n/a" */
  met: string;
}

export function printRow(r: ResultRow): void {
  console.log(`ROW | ${r.benchmark} | ${r.modgate} | ${r.baseline} | ${r.ratio} | ${r.target} | ${r.met} |`);
}

/** Progress/diagnostics go to stderr so stdout stays machine-readable. */
export function note(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

/** Reads `--name value` / `--name=value` from argv, else the default. */
export function flag(name: string, def: number): number;
export function flag(name: string, def: string): string;
export function flag(name: string, def: number | string): number | string {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    let v: string | undefined;
    if (a === `--${name}`) v = argv[i + 1];
    else if (a.startsWith(`--${name}=`)) v = a.slice(name.length + 3);
    if (v !== undefined) {
      if (typeof def === 'number') {
        const n = Number(v);
        if (!Number.isFinite(n)) throw new Error(`--${name}: expected a number, got ${v}`);
        return n;
      }
      return v;
    }
  }
  return def;
}
