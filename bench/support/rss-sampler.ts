// Memory of a process from /proc/<pid>/status: VmRSS (now) and VmHWM (peak since start), sampled
// on an interval so short peaks between reads are still bounded by VmHWM.
import { readdirSync, readFileSync } from 'node:fs';

export interface MemoryReading {
  /** resident set size now, bytes */
  rss: number;
  /** peak resident set size since the process started, bytes */
  hwm: number;
}

/** Reads VmRSS/VmHWM of pid; undefined once the process is gone. */
export function readMemory(pid: number): MemoryReading | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 'NaN') * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

export interface RssSampler {
  /** highest VmRSS seen so far, bytes */
  readonly peakRss: number;
  /** every sample: [ms since start, rss bytes] */
  readonly samples: Array<[number, number]>;
  stop(): void;
}

/** Samples the VmRSS of pid and its descendants every intervalMs until stop(). */
export function sampleRss(pid: number, intervalMs = 50): RssSampler {
  const t0 = Date.now();
  const samples: Array<[number, number]> = [];
  let peak = 0;
  const take = (): void => {
    const m = readTreeMemory(pid);
    if (!m) return;
    samples.push([Date.now() - t0, m.rss]);
    if (m.rss > peak) peak = m.rss;
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    get peakRss() {
      return peak;
    },
    samples,
    stop() {
      take();
      clearInterval(timer);
    },
  };
}

/** pid and its descendants (via /proc/<pid>/task/<tid>/children). */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i]!;
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const kids = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim();
        if (kids !== '') out.push(...kids.split(/\s+/).map(Number));
      } catch {
        // task gone
      }
    }
  }
  return out;
}

/** Sum of VmRSS/VmHWM over pid and its descendants (modgate --workers N forks N-1... processes). */
export function readTreeMemory(pid: number): MemoryReading | undefined {
  const readings = processTree(pid).map(readMemory).filter((m): m is MemoryReading => m !== undefined);
  if (readings.length === 0) return undefined;
  return { rss: readings.reduce((a, m) => a + m.rss, 0), hwm: readings.reduce((a, m) => a + m.hwm, 0) };
}
