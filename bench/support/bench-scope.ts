// Cleanup for benchmark scripts: everything a script starts (processes, servers, temp dirs) is
// registered here and undone in reverse order when the script ends, throws, or is interrupted.
// On a hard exit (SIGINT/SIGTERM, uncaught error) registered pids are SIGKILLed and temp dirs
// removed synchronously.
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Undo = () => Promise<unknown>;

export interface BenchScope {
  /** Runs undo (async) at the end, most recent first. */
  defer(undo: Undo): void;
  /** Kills pid (SIGKILL) on a hard exit; its orderly stop is registered with defer. */
  trackPid(pid: number | undefined): void;
  /** A fresh temp dir removed at the end (and on a hard exit). */
  tempDir(prefix: string): Promise<string>;
}

/** Runs body with a scope and undoes everything it registered, whatever happens. */
export async function withScope<T>(body: (scope: BenchScope) => Promise<T>): Promise<T> {
  const undos: Undo[] = [];
  const pids = new Set<number>();
  const dirs = new Set<string>();
  const hardExit = (): void => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  process.once('exit', hardExit);
  const onSignal = (): void => {
    hardExit();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const scope: BenchScope = {
    defer: (undo) => void undos.push(undo),
    trackPid: (pid) => void (pid !== undefined && pids.add(pid)),
    async tempDir(prefix) {
      const d = await mkdtemp(join(tmpdir(), prefix));
      dirs.add(d);
      undos.push(() => rm(d, { recursive: true, force: true, maxRetries: 3 }));
      return d;
    },
  };
  try {
    return await body(scope);
  } finally {
    for (const undo of undos.reverse()) {
      try {
        await undo();
      } catch (err) {
        process.stderr.write(`cleanup step failed: ${String(err)}\n`);
      }
    }
    pids.clear();
    dirs.clear();
    process.removeListener('exit', hardExit);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
