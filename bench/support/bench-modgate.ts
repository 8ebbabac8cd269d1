// Starts the real modgate server (bin/modgate, built dist/) for a benchmark: quiet logs (warn, so
// no per-request log line on either side of a comparison), registered with the scope for cleanup.
import { startModgate, type ModgateProcess } from '../../test/support/modgate-process.js';
import type { BenchScope } from './bench-scope.js';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface BenchModgateOptions {
  args: readonly string[];
  env?: Record<string, string>;
  /** profile the server: a .cpuprofile is written into this dir when it exits */
  cpuProfDir?: string;
}

export async function startBenchModgate(scope: BenchScope, opts: BenchModgateOptions): Promise<ModgateProcess> {
  const env: Record<string, string> = { ...opts.env };
  if (opts.cpuProfDir !== undefined) {
    // Node 20 refuses --cpu-prof in NODE_OPTIONS; a preloaded hook profiles via node:inspector.
    env.NODE_OPTIONS = `--import ${pathToFileURL(join(import.meta.dirname, 'cpu-profile-hook.mjs')).href}`;
    env.MODGATE_BENCH_CPU_PROF_DIR = opts.cpuProfDir;
  }
  const mg = await startModgate({ args: ['--log-level', 'warn', '--shutdown-grace-seconds', '2', ...opts.args], env, timeoutMs: 30_000 });
  scope.trackPid(mg.proc.pid);
  scope.defer(() => mg.stop());
  // keep the pipes drained without buffering everything in memory
  mg.proc.stdout?.removeAllListeners('data');
  mg.proc.stderr?.removeAllListeners('data');
  mg.proc.stdout?.resume();
  mg.proc.stderr?.resume();
  return mg;
}
