// The "Go proxy" contender: builds go-file-server/main.go (standard library only) with the Debian Go
// in GOPATH mode into a temp dir and serves a GOPROXY directory with it until the scope ends.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { runProcess } from '../../test/support/process-runner.js';
import type { BenchScope } from './bench-scope.js';

export interface GoFileServer {
  url: string;
  pid: number;
}

/** Builds and starts the server over root; `cpus` (a taskset list, e.g. "0") pins it. */
export async function startGoFileServer(scope: BenchScope, root: string, cpus?: string): Promise<GoFileServer> {
  const dir = await scope.tempDir('modgate-bench-gofs-');
  const bin = join(dir, 'go-file-server');
  const build = await runProcess('go', ['build', '-o', bin, '.'], {
    cwd: join(import.meta.dirname, 'go-file-server'),
    env: { ...process.env, GO111MODULE: 'off', GOFLAGS: '', GOCACHE: join(dir, 'gocache') },
    timeoutMs: 120_000,
  });
  if (build.code !== 0) throw new Error(`building go-file-server: ${build.stderr}`);
  const [file, args] = cpus !== undefined ? ['taskset', ['-c', cpus, bin, root]] : [bin, [root]];
  return spawnPortServer(scope, file, args);
}

/**
 * Spawns a server that prints its loopback port on stdout and exits when its stdin closes; stopped
 * (SIGTERM) when the scope ends.
 */
export async function spawnPortServer(scope: BenchScope, file: string, args: readonly string[]): Promise<GoFileServer> {
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  scope.trackPid(child.pid);
  scope.defer(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${chunk.toString().trim()}`, pid: child.pid! };
}

/** Pins every thread of a running process (and its children's, given their pids) to cpus. */
export async function pinProcess(pid: number, cpus: string): Promise<void> {
  const r = await runProcess('taskset', ['-a', '-p', '-c', cpus, String(pid)]);
  if (r.code !== 0) throw new Error(`taskset ${pid}: ${r.stderr}`);
}
