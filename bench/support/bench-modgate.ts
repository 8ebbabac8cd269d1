// Starts the real modgate server (bin/modgate, built dist/) for a benchmark: quiet logs (warn, so
// no per-request log line on either side of a comparison), registered with the scope for cleanup.
import { startModgate, type ModgateProcess } from '../../test/support/modgate-process.js';
import type { BenchScope } from './bench-scope.js';

export interface BenchModgateOptions {
  args: readonly string[];
  env?: Record<string, string>;
  /** extra node flags, e.g. --cpu-prof (passed via NODE_OPTIONS) */
  nodeOptions?: string;
}

export async function startBenchModgate(scope: BenchScope, opts: BenchModgateOptions): Promise<ModgateProcess> {
  const env: Record<string, string> = { ...opts.env };
  if (opts.nodeOptions !== undefined) env.NODE_OPTIONS = opts.nodeOptions;
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
