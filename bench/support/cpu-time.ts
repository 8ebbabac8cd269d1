// CPU time (user + system) used so far by a process and its descendants, from /proc (Linux), for
// per-request CPU cost: on a shared machine, a server's CPU seconds per request move much less with
// the other load than its requests per second do.
import { readFileSync } from 'node:fs';
import { processTree } from './rss-sampler.js';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Seconds of CPU the process tree of `pid` has used (threads included; exited children not). */
export function cpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    } catch {
      // exited
    }
  }
  return ticks / TICKS_PER_SECOND;
}
