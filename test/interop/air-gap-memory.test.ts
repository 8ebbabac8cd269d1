// Export and import of a bundle holding a 300 MiB zip keep the CLI's memory flat: the max RSS of each
// process (GNU time) stays within 150 MiB of a CLI that does nothing, so no zip is ever buffered.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSumdb, type SumdbServer } from '../support/gohelper.js';
import { runProcess } from '../support/process-runner.js';
import { writeBigModuleZip } from '../support/big-zip.js';

const BIN = fileURLToPath(new URL('../../bin/modgate', import.meta.url));
const MIB = 1 << 20;
const PATH = 'example.com/big';
const VERSION = 'v1.0.0';

let work: string;
let sumdb: SumdbServer;

/** Runs the CLI under GNU time; returns its exit code, output and max RSS in MiB. */
async function measured(args: string[]): Promise<{ code: number; stdout: string; stderr: string; rssMiB: number }> {
  const r = await runProcess('/usr/bin/time', ['-v', process.execPath, BIN, ...args], { timeoutMs: 600_000 });
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  assert.ok(m, `no RSS in: ${r.stderr}`);
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, rssMiB: Number(m[1]) / 1024 };
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'modgate-airgap-mem-'));
  const dir = join(work, 'source', PATH, '@v');
  await mkdir(dir, { recursive: true });
  const goMod = `module ${PATH}\n\ngo 1.19\n`;
  await writeFile(join(dir, `${VERSION}.info`), JSON.stringify({ Version: VERSION, Time: '2024-01-02T03:04:05Z' }));
  await writeFile(join(dir, `${VERSION}.mod`), goMod);
  await writeBigModuleZip(join(dir, `${VERSION}.zip`), { path: PATH, version: VERSION, bytes: 300 * MIB, goMod });
  sumdb = await startSumdb({ proxyDir: join(work, 'source') });
});

after(async () => {
  await sumdb?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('export and import of a 300 MiB zip stay within 150 MiB of the idle CLI', async () => {
  const idle = await measured(['export', '--help']);
  const bundle = join(work, 'big.tgz');
  const exp = await measured(['export', `${PATH}@${VERSION}`, '-o', bundle, '--cache-dir', join(work, 'source'), '--sumdb', sumdb.gosumdb, '--json']);
  assert.equal(exp.code, 0, exp.stdout + exp.stderr);
  assert.ok((await stat(bundle)).size > 300 * MIB);
  const imp = await measured(['import', bundle, '--cache-dir', join(work, 'imported'), '--sumdb', sumdb.vkey, '--json']);
  assert.equal(imp.code, 0, imp.stdout + imp.stderr);
  assert.match(imp.stdout, /"status":"imported"/);
  assert.equal((await stat(join(work, 'imported', PATH, '@v', `${VERSION}.zip`))).size, (await stat(join(work, 'source', PATH, '@v', `${VERSION}.zip`))).size);
  const report = `idle ${idle.rssMiB.toFixed(0)} MiB, export ${exp.rssMiB.toFixed(0)} MiB, import ${imp.rssMiB.toFixed(0)} MiB`;
  process.stdout.write(`# max RSS: ${report}\n`);
  assert.ok(exp.rssMiB < idle.rssMiB + 150, `export: ${report}`);
  assert.ok(imp.rssMiB < idle.rssMiB + 150, `import: ${report}`);
});
