// Runs the real go command hermetically in tests: a fresh GOPATH/GOMODCACHE/GOCACHE/HOME under a
// temp dir, only the GOPROXY/GOSUMDB/... settings the test passes, no network proxies, no user config.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProcess, type ProcessResult } from './process-runner.js';

/** Go settings a test may pass; anything unset is left unset (GOPROXY defaults to off). */
export interface GoSettings {
  GOPROXY?: string;
  GOSUMDB?: string;
  GONOSUMDB?: string;
  GOPRIVATE?: string;
  GONOPROXY?: string;
  GOINSECURE?: string;
  /** default "-mod=mod -modcacherw" (modcacherw lets cleanup delete the module cache) */
  GOFLAGS?: string;
  /** extra variables, passed as they are */
  extra?: Record<string, string>;
}

export interface GoEnvOptions extends GoSettings {
  /**
   * Share one build cache (GOCACHE) across tests instead of a fresh one: compiled packages are
   * content-addressed, so this is safe and saves minutes; module downloads stay fresh regardless.
   * Builds then run with -trimpath (added to GOFLAGS): without it a package's cache key includes
   * its directory, which is in this environment's fresh module cache, so nothing would be reused.
   */
  sharedBuildCache?: boolean;
}

export interface GoEnv {
  /** root of this environment's temp dirs */
  root: string;
  gopath: string;
  gomodcache: string;
  gocache: string;
  home: string;
  /** the full environment the go command runs with */
  env: NodeJS.ProcessEnv;
  /** runs `go args...` in cwd */
  run(args: readonly string[], opts: { cwd: string; timeoutMs?: number; extraEnv?: Record<string, string> }): Promise<GoResult>;
  /** removes the temp dirs */
  cleanup(): Promise<void>;
}

export type GoResult = Pick<ProcessResult, 'code' | 'stdout' | 'stderr'>;

const SHARED_GOCACHE = join(tmpdir(), 'modgate-gohelper', 'gocache-tests');

/** Creates a hermetic go environment; call cleanup() when the test ends. */
export async function createGoEnv(opts: GoEnvOptions = {}): Promise<GoEnv> {
  const root = await mkdtemp(join(tmpdir(), 'modgate-goenv-'));
  const gopath = join(root, 'gopath');
  const gomodcache = join(gopath, 'pkg', 'mod');
  const gocache = opts.sharedBuildCache === true ? SHARED_GOCACHE : join(root, 'gocache');
  const home = join(root, 'home');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    TMPDIR: process.env.TMPDIR ?? tmpdir(),
    GOPATH: gopath,
    GOMODCACHE: gomodcache,
    GOCACHE: gocache,
    GOENV: 'off',
    GO111MODULE: 'on',
    GOTOOLCHAIN: 'local',
    GOTELEMETRY: 'off',
    CGO_ENABLED: '0',
    GOFLAGS: `${opts.GOFLAGS ?? '-mod=mod -modcacherw'}${opts.sharedBuildCache === true ? ' -trimpath' : ''}`,
    GOPROXY: opts.GOPROXY ?? 'off',
  };
  for (const k of ['GOSUMDB', 'GONOSUMDB', 'GOPRIVATE', 'GONOPROXY', 'GOINSECURE'] as const) {
    const v = opts[k];
    if (v !== undefined) env[k] = v;
  }
  Object.assign(env, opts.extra ?? {});
  return {
    root,
    gopath,
    gomodcache,
    gocache,
    home,
    env,
    async run(args, runOpts) {
      const r = await runProcess('go', args, { cwd: runOpts.cwd, env: { ...env, ...runOpts.extraEnv }, timeoutMs: runOpts.timeoutMs ?? 300_000 });
      return { code: r.code, stdout: r.stdout, stderr: r.stderr };
    },
    cleanup: () => rm(root, { recursive: true, force: true, maxRetries: 3 }),
  };
}

/** Runs `go args...` once in a throwaway environment (removed afterwards). */
export async function runGo(args: readonly string[], opts: GoEnvOptions & { cwd: string; timeoutMs?: number }): Promise<GoResult> {
  const env = await createGoEnv(opts);
  try {
    return await env.run(args, opts.timeoutMs === undefined ? { cwd: opts.cwd } : { cwd: opts.cwd, timeoutMs: opts.timeoutMs });
  } finally {
    await env.cleanup();
  }
}

/** One object of `go mod download -json` output. */
export interface GoModDownload {
  Path: string;
  Version: string;
  Query?: string;
  Error?: string;
  Info?: string;
  GoMod?: string;
  Zip?: string;
  Dir?: string;
  Sum?: string;
  GoModSum?: string;
  [field: string]: unknown;
}

/** Splits concatenated JSON values (the go command's -json output) and parses each. */
export function parseJsonStream<T>(text: string): T[] {
  const out: T[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) out.push(JSON.parse(text.slice(start, i + 1)) as T);
    }
  }
  if (depth !== 0) throw new Error('truncated JSON stream');
  return out;
}

/**
 * Runs `go mod download -json all` in dir and parses its objects. The exit code is returned too:
 * the go command exits 1 when any module has an Error (the objects still say which).
 */
export async function goModDownloadJson(dir: string, env: GoEnv, args: readonly string[] = ['all']): Promise<{ code: number; stderr: string; modules: GoModDownload[] }> {
  const r = await env.run(['mod', 'download', '-json', ...args], { cwd: dir });
  return { code: r.code, stderr: r.stderr, modules: parseJsonStream<GoModDownload>(r.stdout) };
}
