// Describes the machine a benchmark ran on: core count, CPU model, memory, Node and Go versions.
import { availableParallelism, cpus, totalmem } from 'node:os';
import { execFileSync } from 'node:child_process';

export interface MachineInfo {
  nproc: number;
  cpu: string;
  memory: string;
  node: string;
  go: string;
}

export function machineInfo(): MachineInfo {
  let go = 'unknown';
  try {
    go = execFileSync('go', ['version'], { encoding: 'utf8' }).trim().replace(/^go version /, '');
  } catch {
    // go missing: leave unknown
  }
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    node: process.version,
    go,
  };
}
