// `modgate doctor`'s core: reads the Go settings, checks them, probes the proxies and the checksum
// database, looks at the module cache and the current go.mod, and returns a report with findings
// and the exit code (0 healthy, 1 warnings, 2 errors). It prints nothing.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseGoMod } from '../module/go-mod.js';
import { parseGosumdb, type GosumdbConfig } from '../sumdb/gosumdb.js';
import { cacheFindings, cacheStats, type CacheStats } from './doctor-cache.js';
import { readGoEnv, type GoSettings } from './doctor-env.js';
import { mirrorFindings, probeProxies, probeSumdb, sumdbBase, sumdbFindings, type MirrorRow, type SumdbProbe } from './doctor-probe.js';
import { checkPrivateLeaks, checkSettings, proxyEntries, type Finding } from './doctor-settings.js';

export interface DoctorOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Directory whose go.mod is checked for private requirements. */
  readonly cwd: string;
  readonly goBinary: string;
  /** Per network request. */
  readonly timeoutMs: number;
  /** Public module the protocol probe lists (default golang.org/x/mod). */
  readonly probeModule?: string;
  readonly cacheMaxBytes?: number;
  readonly cacheMaxAgeDays?: number;
}

export interface DoctorReport {
  /** 0 healthy (info only), 1 warnings, 2 errors. */
  readonly exitCode: 0 | 1 | 2;
  readonly source: 'go env' | 'environment';
  readonly goVersion?: string;
  readonly settings: GoSettings;
  readonly mirrors: readonly MirrorRow[];
  readonly sumdb?: SumdbProbe;
  readonly cache: CacheStats;
  readonly goMod?: { readonly path: string; readonly module: string; readonly requirements: number };
  /** Errors first, then warnings, then info. */
  readonly findings: readonly Finding[];
}

const RANK = { error: 0, warning: 1, info: 2 } as const;

async function readMainGoMod(cwd: string): Promise<{ path: string; module: string; paths: string[] } | undefined> {
  const path = join(cwd, 'go.mod');
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const f = parseGoMod(text, { fileName: path });
  const paths = [...f.require.map((r) => r.path), ...f.replace.filter((r) => !r.isLocal).map((r) => r.new.path)];
  return { path, module: f.module?.path ?? '', paths };
}

export async function doctor(opts: DoctorOptions): Promise<DoctorReport> {
  const goEnv = await readGoEnv({ goBinary: opts.goBinary, env: opts.env, cwd: opts.cwd, timeoutMs: opts.timeoutMs });
  const s = goEnv.settings;
  const findings: Finding[] = [];
  if (goEnv.goError !== undefined) {
    findings.push({ id: 'go-unavailable', severity: 'info', message: `could not run go env (${goEnv.goError}); checked the process environment with Go's defaults instead`, fix: 'install Go or pass --go PATH' });
  }
  findings.push(...checkSettings(s));

  let db: GosumdbConfig | undefined;
  try {
    const parsed = parseGosumdb(s.GOSUMDB);
    if (parsed !== 'off') db = parsed;
  } catch {
    // reported by checkSettings
  }
  const entries = proxyEntries(s);
  const [mirrors, cache, goMod] = await Promise.all([
    typeof entries === 'string' ? Promise.resolve([]) : probeProxies({ entries, sumdb: db, probeModule: opts.probeModule ?? 'golang.org/x/mod', timeoutMs: opts.timeoutMs }),
    cacheStats(join(s.GOMODCACHE, 'cache', 'download')),
    readMainGoMod(opts.cwd).catch((err: unknown) => {
      findings.push({ id: 'gomod-unreadable', severity: 'warning', message: `go.mod in ${opts.cwd} does not parse: ${err instanceof Error ? err.message : String(err)}`, fix: 'go mod tidy' });
      return undefined;
    }),
  ]);
  findings.push(...mirrorFindings(mirrors));
  let sumdb: SumdbProbe | undefined;
  if (db) {
    sumdb = await probeSumdb(db, sumdbBase(db, mirrors), opts.timeoutMs);
    findings.push(...sumdbFindings(sumdb));
  }
  findings.push(...cacheFindings(cache, { maxBytes: opts.cacheMaxBytes ?? 20 * 2 ** 30, maxAgeDays: opts.cacheMaxAgeDays ?? 365, now: new Date() }));
  if (goMod) findings.push(...checkPrivateLeaks(s, goMod.module, goMod.paths));

  findings.sort((a, b) => RANK[a.severity] - RANK[b.severity]);
  const exitCode = findings.some((f) => f.severity === 'error') ? 2 : findings.some((f) => f.severity === 'warning') ? 1 : 0;
  return {
    exitCode,
    source: goEnv.source,
    ...(goEnv.goVersion !== undefined ? { goVersion: goEnv.goVersion } : {}),
    settings: s,
    mirrors,
    ...(sumdb ? { sumdb } : {}),
    cache,
    ...(goMod ? { goMod: { path: goMod.path, module: goMod.module, requirements: goMod.paths.length } } : {}),
    findings,
  };
}
