// The Go settings `modgate doctor` examines: `go env -json` when a go binary runs (it merges the
// process environment with the go env file), else the process environment with Go's defaults.
import { execFile } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The settings doctor reads; each is the effective value (defaults applied). */
export interface GoSettings {
  readonly GOPROXY: string;
  readonly GOSUMDB: string;
  readonly GOPRIVATE: string;
  readonly GONOPROXY: string;
  readonly GONOSUMDB: string;
  readonly GOINSECURE: string;
  readonly GOFLAGS: string;
  readonly GOMODCACHE: string;
  /** Set only when present in the process environment: the go command does not read it. */
  readonly GONOSUMCHECK?: string;
}

export interface GoEnvResult {
  readonly settings: GoSettings;
  /** Where the settings came from. */
  readonly source: 'go env' | 'environment';
  readonly goVersion?: string;
  /** Why `go env -json` could not be used (source is then 'environment'). */
  readonly goError?: string;
}

export interface ReadGoEnvOptions {
  /** The go binary to run. */
  readonly goBinary: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly timeoutMs: number;
}

const pick = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Settings from the environment alone, with the go command's defaults. */
export function settingsFromEnvironment(env: NodeJS.ProcessEnv): GoSettings {
  const priv = env.GOPRIVATE ?? '';
  const gopath = (env.GOPATH ?? '').split(':')[0] || join(env.HOME ?? homedir(), 'go');
  return {
    GOPROXY: env.GOPROXY || 'https://proxy.golang.org,direct',
    GOSUMDB: env.GOSUMDB || 'sum.golang.org',
    GOPRIVATE: priv,
    GONOPROXY: env.GONOPROXY ?? priv,
    GONOSUMDB: env.GONOSUMDB ?? priv,
    GOINSECURE: env.GOINSECURE ?? '',
    GOFLAGS: env.GOFLAGS ?? '',
    GOMODCACHE: env.GOMODCACHE || join(gopath, 'pkg', 'mod'),
    ...(env.GONOSUMCHECK !== undefined ? { GONOSUMCHECK: env.GONOSUMCHECK } : {}),
  };
}

function runGoEnv(opts: ReadGoEnvOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(opts.goBinary, ['env', '-json'], { env: opts.env, cwd: opts.cwd, timeout: opts.timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${opts.goBinary} env -json: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Reads the effective settings; never throws (a missing or broken go falls back to the environment). */
export async function readGoEnv(opts: ReadGoEnvOptions): Promise<GoEnvResult> {
  const fromEnv = settingsFromEnvironment(opts.env);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await runGoEnv(opts)) as Record<string, unknown>;
  } catch (err) {
    return { settings: fromEnv, source: 'environment', goError: err instanceof Error ? err.message : String(err) };
  }
  const settings: GoSettings = {
    GOPROXY: pick(json.GOPROXY),
    GOSUMDB: pick(json.GOSUMDB),
    GOPRIVATE: pick(json.GOPRIVATE),
    GONOPROXY: pick(json.GONOPROXY),
    GONOSUMDB: pick(json.GONOSUMDB),
    GOINSECURE: pick(json.GOINSECURE),
    GOFLAGS: pick(json.GOFLAGS),
    GOMODCACHE: pick(json.GOMODCACHE) || fromEnv.GOMODCACHE,
    ...(fromEnv.GONOSUMCHECK !== undefined ? { GONOSUMCHECK: fromEnv.GONOSUMCHECK } : {}),
  };
  const goVersion = pick(json.GOVERSION);
  return { settings, source: 'go env', ...(goVersion !== '' ? { goVersion } : {}) };
}
