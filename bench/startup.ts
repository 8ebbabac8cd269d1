// Benchmark (a script, not a test): how long `modgate serve` takes from spawn to its listening line,
// and how much memory the idle process holds, with the filesystem default (issue #10), against bare
// Node.js listening on a port (node:http, nothing loaded). Both print the same kind of line; the idle
// RSS is VmRSS after --idle-ms with no request, the peak VmHWM (what `/usr/bin/time -v` reports as
// "Maximum resident set size").
// Usage: node --import tsx bench/startup.ts [--rounds 5] [--idle-ms 2000] [--args "--upstream off"]
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { withScope, type BenchScope } from './support/bench-scope.js';
import { readMemory } from './support/rss-sampler.js';
import { flag, fmtBytes, median, note, printRow } from './support/bench-stats.js';

const rounds = flag('rounds', 5);
const idleMs = flag('idle-ms', 2000);
const extra = flag('args', '').split(' ').filter((a) => a !== '');
const BIN = join(import.meta.dirname, '..', 'bin', 'modgate');
const BARE = "require('node:http').createServer().listen(0, '127.0.0.1', function () { console.log('listening on http://127.0.0.1:' + this.address().port) })";

interface Start {
  ms: number;
  rss: number;
  hwm: number;
}

/** Spawns argv, times it to its "listening on" line, reads its memory after idleMs, stops it. */
async function startOnce(scope: BenchScope, argv: string[]): Promise<Start> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  scope.trackPid(proc.pid);
  const exited = new Promise((r) => proc.once('exit', r));
  try {
    const ms = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no listening line within 60 s:\n${out}`)), 60_000);
      const onData = (c: Buffer) => {
        out += c.toString();
        if (/listening on http/.test(out)) {
          clearTimeout(timer);
          resolve(performance.now() - t0);
        }
      };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', onData);
      proc.once('exit', (code) => reject(new Error(`exited ${code} before listening:\n${out}`)));
    });
    await new Promise((r) => setTimeout(r, idleMs));
    const mem = readMemory(proc.pid!);
    if (!mem) throw new Error('the process is gone');
    return { ms, ...mem };
  } finally {
    proc.kill('SIGTERM');
    await exited;
  }
}

await withScope(async (scope) => {
  const cacheDir = await scope.tempDir('modgate-bench-startup-');
  const modgateArgv = [BIN, 'serve', '--listen', '127.0.0.1:0', '--cache-dir', cacheDir, '--log-format', 'json', ...extra];
  const mg: Start[] = [];
  const bare: Start[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate, so both see the same machine load.
    mg.push(await startOnce(scope, modgateArgv));
    bare.push(await startOnce(scope, ['-e', BARE]));
    note(`round ${r + 1}: modgate ${mg.at(-1)!.ms.toFixed(0)} ms, ${fmtBytes(mg.at(-1)!.rss)}; bare node ${bare.at(-1)!.ms.toFixed(0)} ms, ${fmtBytes(bare.at(-1)!.rss)}`);
  }
  const m = (xs: Start[], k: keyof Start) => median(xs.map((x) => x[k]));
  const shown = extra.length > 0 ? ` ${extra.join(' ')}` : ' (filesystem default)';
  const ms = m(mg, 'ms');
  printRow({
    benchmark: `startup: spawn to the listening line, modgate serve${shown}, ${rounds} rounds`,
    modgate: `${ms.toFixed(0)} ms`,
    baseline: `bare node:http: ${m(bare, 'ms').toFixed(0)} ms`,
    ratio: `+${(ms - m(bare, 'ms')).toFixed(0)} ms`,
    target: '< 300 ms',
    met: ms < 300 ? 'yes' : 'no',
  });
  const rss = m(mg, 'rss');
  printRow({
    benchmark: `idle RSS ${idleMs} ms after listening, modgate serve${shown}, ${rounds} rounds (peak: VmHWM)`,
    modgate: `${fmtBytes(rss)} (peak ${fmtBytes(m(mg, 'hwm'))})`,
    baseline: `bare node:http: ${fmtBytes(m(bare, 'rss'))}`,
    ratio: `+${fmtBytes(rss - m(bare, 'rss'))}`,
    target: '≤ 60 MiB',
    met: rss <= 60 * 1024 * 1024 ? 'yes' : 'no',
  });
});
