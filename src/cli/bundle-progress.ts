// Progress output of export/import: a cli-progress bar on stderr for a person (only on a terminal),
// or one JSON line per step on stdout with --json (for scripts); the summary is printed by the caller.
import cliProgress from 'cli-progress';

export interface ProgressStep {
  readonly phase: string;
  readonly done: number;
  readonly total: number;
  readonly file?: string;
}

export interface ProgressOutput {
  step(p: ProgressStep): void;
  stop(): void;
}

/** JSON lines (throttled to changes of phase and every 1/100 of the total) or a bar. */
export function createProgressOutput(json: boolean, label: string): ProgressOutput {
  if (json) {
    let lastPhase = '';
    let lastDone = -1;
    return {
      step(p) {
        const every = Math.max(1, Math.floor(p.total / 100));
        if (p.phase === lastPhase && p.done !== p.total && p.done - lastDone < every) return;
        lastPhase = p.phase;
        lastDone = p.done;
        process.stdout.write(`${JSON.stringify({ event: 'progress', ...p })}\n`);
      },
      stop: () => undefined,
    };
  }
  if (!process.stderr.isTTY) return { step: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar({ stream: process.stderr, format: `${label} {phase} [{bar}] {value}/{total} {file}`, hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    step(p) {
      if (!started) {
        bar.start(p.total, p.done, { phase: p.phase, file: '' });
        started = true;
      }
      bar.setTotal(p.total);
      bar.update(p.done, { phase: p.phase, file: (p.file ?? '').slice(-60) });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

/** 1234567 → "1.2 MiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}
