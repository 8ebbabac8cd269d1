// Benchmark (a script, not a test): peak memory of the modgate process (VmRSS sampled every 50 ms
// from /proc, plus VmHWM) while (a) 100 clients download a 100 MiB module zip at once, cold (one
// fill, everyone waits or streams) and then warm, and (b) one ~495 MiB zip (just under the 500 MiB
// limit) is fetched and checked cold by a fresh process. Zips hold incompressible random bytes and
// come from a file upstream with --sumdb off (synthetic modules are in no checksum database).
// Usage: node --import tsx bench/memory.ts [--clients 100] [--big-mib 100] [--huge-mib 495]
import { join } from 'node:path';
import { startFileProxy } from '../test/support/file-proxy-server.js';
import { withScope, type BenchScope } from './support/bench-scope.js';
import { startBenchModgate } from './support/bench-modgate.js';
import { writeSyntheticModule } from './support/synthetic-module.js';
import { readTreeMemory, sampleRss } from './support/rss-sampler.js';
import { get } from './support/net-util.js';
import { flag, fmtBytes, note, printRow } from './support/bench-stats.js';
import { stat } from 'node:fs/promises';
import type { ModgateProcess } from '../test/support/modgate-process.js';

const clients = flag('clients', 100);
const bigMib = flag('big-mib', 100);
const hugeMib = flag('huge-mib', 495);
const MiB = 1024 * 1024;

async function idleRss(mg: ModgateProcess): Promise<number> {
  await get(`${mg.url}/healthz`);
  await new Promise((r) => setTimeout(r, 1000));
  return readTreeMemory(mg.proc.pid!)?.rss ?? Number.NaN;
}

/** Runs n concurrent GETs of url; returns the peak RSS (tree) while they run. */
async function burst(mg: ModgateProcess, url: string, n: number, size: number): Promise<{ peak: number; ms: number }> {
  const sampler = sampleRss(mg.proc.pid!, 50);
  const t0 = performance.now();
  try {
    const results = await Promise.all(Array.from({ length: n }, () => get(url, { timeoutMs: 300_000 })));
    const bad = results.filter((r) => r.status !== 200 || r.bytes !== size);
    if (bad.length > 0) throw new Error(`${bad.length}/${n} downloads of ${url} failed: ${bad.map((r) => `${r.status}/${r.bytes} B`).slice(0, 3).join(', ')}`);
  } finally {
    sampler.stop();
  }
  return { peak: sampler.peakRss, ms: performance.now() - t0 };
}

async function startMg(scope: BenchScope, work: string, name: string, upstreamUrl: string): Promise<ModgateProcess> {
  return startBenchModgate(scope, { args: ['--cache-dir', join(work, name), '--upstream', upstreamUrl, '--sumdb', 'off'] });
}

await withScope(async (scope) => {
  const work = await scope.tempDir('modgate-bench-mem-');
  const proxyDir = join(work, 'proxy');
  note(`writing ${bigMib} MiB and ${hugeMib} MiB synthetic module zips...`);
  const bigPath = await writeSyntheticModule(proxyDir, { path: 'example.com/big', version: 'v1.0.0', bytes: bigMib * MiB });
  const hugePath = await writeSyntheticModule(proxyDir, { path: 'example.com/huge', version: 'v1.0.0', bytes: hugeMib * MiB });
  const bigSize = (await stat(join(proxyDir, ...bigPath.slice(1).split('/')))).size;
  const hugeSize = (await stat(join(proxyDir, ...hugePath.slice(1).split('/')))).size;
  const upstream = await startFileProxy({ dir: proxyDir });
  scope.defer(() => upstream.stop());

  // (a) many clients, one 100 MiB zip: cold burst, then warm burst, same process.
  const mg = await startMg(scope, work, 'cache-a', upstream.url);
  const idleA = await idleRss(mg);
  const cold = await burst(mg, mg.url + bigPath, clients, bigSize);
  note(`${clients} × ${fmtBytes(bigSize)} cold: peak ${fmtBytes(cold.peak)} (idle ${fmtBytes(idleA)}), ${cold.ms.toFixed(0)} ms, upstream zip requests ${upstream.count('.zip')}`);
  const warm = await burst(mg, mg.url + bigPath, clients, bigSize);
  note(`${clients} × ${fmtBytes(bigSize)} warm: peak ${fmtBytes(warm.peak)}, ${warm.ms.toFixed(0)} ms`);
  const hwmA = readTreeMemory(mg.proc.pid!)?.hwm ?? Number.NaN;
  await mg.stop();

  // (b) one huge zip fetched and checked cold by a fresh process.
  const mg2 = await startMg(scope, work, 'cache-b', upstream.url);
  const idleB = await idleRss(mg2);
  const huge = await burst(mg2, mg2.url + hugePath, 1, hugeSize);
  const hwmB = readTreeMemory(mg2.proc.pid!)?.hwm ?? Number.NaN;
  note(`1 × ${fmtBytes(hugeSize)} cold: peak ${fmtBytes(huge.peak)} (idle ${fmtBytes(idleB)}), VmHWM ${fmtBytes(hwmB)}, ${huge.ms.toFixed(0)} ms`);
  await mg2.stop();

  const peakA = Math.max(cold.peak, warm.peak, hwmA);
  const aboveA = peakA - idleA;
  printRow({
    benchmark: `memory: ${clients} clients × ${fmtBytes(bigSize)} zip at once (cold burst ${(cold.ms / 1000).toFixed(1)} s, then warm ${(warm.ms / 1000).toFixed(1)} s)`,
    modgate: `peak RSS ${fmtBytes(peakA)} = idle ${fmtBytes(idleA)} + ${fmtBytes(aboveA)} (cold ${fmtBytes(cold.peak)}, warm ${fmtBytes(warm.peak)})`,
    baseline: 'n/a',
    ratio: 'n/a',
    target: '< 200 MiB above idle',
    met: aboveA < 200 * MiB ? 'yes' : 'no',
  });
  const peakB = Math.max(huge.peak, hwmB);
  const aboveB = peakB - idleB;
  printRow({
    benchmark: `memory: one ${fmtBytes(hugeSize)} zip fetched + checked cold (${(huge.ms / 1000).toFixed(1)} s)`,
    modgate: `peak RSS ${fmtBytes(peakB)} = idle ${fmtBytes(idleB)} + ${fmtBytes(aboveB)}`,
    baseline: 'n/a',
    ratio: 'n/a',
    target: '< 100 MiB above idle',
    met: aboveB < 100 * MiB ? 'yes' : 'no',
  });
});
