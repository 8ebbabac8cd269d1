// The air-gap tests' way to run `modgate export` and `modgate import --json` as a user would (this
// checkout's bin/modgate), verifying against the test checksum database whose key `vkey` returns.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runProcess } from './process-runner.js';
import type { ImportReport } from '../../src/bundle/bundle-import.js';

const BIN = fileURLToPath(new URL('../../bin/modgate', import.meta.url));

export function bundleCli(vkey: () => string) {
  async function modgateCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return runProcess(process.execPath, [BIN, ...args], { timeoutMs: 300_000 });
  }
  /** `modgate import --json` into dir; the final report line. */
  async function importCli(bundle: string, dir: string): Promise<{ code: number; report: ImportReport }> {
    const r = await modgateCli(['import', bundle, '--cache-dir', dir, '--sumdb', vkey(), '--json']);
    const last = r.stdout.trim().split('\n').at(-1) ?? '';
    assert.ok(last.startsWith('{'), `import printed no report (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
    return { code: r.code, report: JSON.parse(last) as ImportReport };
  }
  async function exportCli(args: string[], proxy: string): Promise<void> {
    const r = await modgateCli(['export', ...args, '--proxy', proxy, '--sumdb', vkey()]);
    assert.equal(r.code, 0, `export failed:\n${r.stdout}\n${r.stderr}`);
  }
  return { modgateCli, importCli, exportCli };
}
