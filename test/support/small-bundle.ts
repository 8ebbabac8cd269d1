// Small air-gap bundles for in-process import tests: a few tiny modules in a GOPROXY-layout
// directory, Go's test checksum database over it (gohelper sumdb), and modgate's export core reading
// that directory as storage, as `modgate export --cache-dir DIR` does (the verifier client's state in
// memory, so the directory holds only the modules).
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildZip } from '../../src/zip/zip-test-writer.js';
import { escapePath, escapeVersion } from '../../src/module/escape.js';
import { createFsStorage } from '../../src/storage/fs-storage.js';
import { createMemoryStorage } from '../../src/storage/memory-storage.js';
import { parseSumdbList } from '../../src/sumdb/gosumdb.js';
import { createVerifier } from '../../src/compose-verification.js';
import { createStorageSource } from '../../src/bundle/export-source.js';
import { exportBundle, type ExportReport } from '../../src/bundle/bundle-export.js';
import type { BundleManifest } from '../../src/bundle/bundle-manifest.js';
import type { SumdbServer } from './gohelper.js';

/** The versions `writeSmallModules` writes, in order. */
export const SMALL_MODULES: ReadonlyArray<readonly [path: string, version: string]> = [
  ['example.com/small/a', 'v1.0.0'],
  ['example.com/small/a', 'v1.1.0'],
  ['example.com/small/b', 'v0.1.0'],
  ['example.com/small/c', 'v1.0.0'],
];

/** Writes SMALL_MODULES (.info, .mod, .zip with one Go file each) under dir, in the go command's layout. */
export async function writeSmallModules(dir: string): Promise<void> {
  for (const [path, version] of SMALL_MODULES) {
    const base = join(dir, escapePath(path), '@v');
    await mkdir(base, { recursive: true });
    const goMod = `module ${path}\n\ngo 1.17\n`;
    const pkg = path.split('/').at(-1)!;
    await writeFile(join(base, `${escapeVersion(version)}.info`), JSON.stringify({ Version: version, Time: '2024-01-02T03:04:05Z' }));
    await writeFile(join(base, `${escapeVersion(version)}.mod`), goMod);
    await writeFile(join(base, `${escapeVersion(version)}.zip`), buildZip([
      { name: `${path}@${version}/go.mod`, data: goMod },
      { name: `${path}@${version}/${pkg}.go`, data: `package ${pkg}\n\nconst Version = "${version}"\n` },
    ]));
  }
}

export interface SmallExport {
  readonly dir: string;
  readonly sumdb: SumdbServer;
  readonly modules: readonly string[];
  readonly out: string;
  readonly tempDir: string;
  readonly since?: BundleManifest;
  /** GONOSUMDB-style patterns (export's --private/--nosumdb). */
  readonly nosumdb?: string;
}

/** Exports module@version list from the modules under dir, proven against `sumdb`; the report. */
export async function exportSmallReport(opts: SmallExport): Promise<ExportReport> {
  const databases = parseSumdbList(opts.sumdb.gosumdb);
  assert.notEqual(databases, 'off');
  const verifier = createVerifier({ databases: databases as Exclude<typeof databases, 'off'>, proxies: [], timeoutMs: 30_000, storage: createMemoryStorage() });
  const source = createStorageSource(createFsStorage(opts.dir), new Map(verifier.databases.map((d) => [d.name, d.client])), opts.nosumdb);
  try {
    return await exportBundle({
      inputs: opts.modules.map((name) => ({ kind: 'module', name })),
      source,
      databases: [{ name: opts.sumdb.name, vkey: opts.sumdb.vkey }],
      out: opts.out,
      tempDir: opts.tempDir,
      ...(opts.since ? { since: opts.since } : {}),
    });
  } finally {
    await source.close();
  }
}

/** exportSmallReport that asserts the export succeeded. */
export async function exportSmall(opts: SmallExport): Promise<ExportReport> {
  const report = await exportSmallReport(opts);
  assert.ok(report.ok, report.errors.join('\n'));
  return report;
}
