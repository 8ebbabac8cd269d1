// `modgate export` and `modgate import`: air-gap bundles (see docs/air-gap.md). Parses flags, runs
// the bundle core, shows progress (bar or --json lines) and prints the summary; exit 1 on failure.
import { createReadStream } from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { Command } from 'commander';
import type { ConfigKey } from '../config/config-schema.js';
import { addConfigOptions, configFromFlags } from './config-options.js';
import { bundleDatabases, createExportSource } from '../compose-bundle.js';
import { createStorage } from '../compose-scale.js';
import { exportBundle, type ExportReport } from '../bundle/bundle-export.js';
import { importBundle, type ImportReport } from '../bundle/bundle-import.js';
import { parseManifest, type BundleManifest } from '../bundle/bundle-manifest.js';
import { stageManifestOnly } from '../bundle/bundle-manifest-read.js';
import { readWalkInput } from './walk-input.js';
import { createProgressOutput, formatBytes } from './bundle-progress.js';
import { formatTable } from './output-table.js';

const STORAGE_KEYS: readonly ConfigKey[] = ['cacheDir', 'storage', 's3Endpoint', 's3Region', 's3ForcePathStyle', 'sumdb', 'upstream', 'upstreamTimeoutMs'];
/** Export from storage also takes the private paths, which it never looks up in a checksum database. */
const EXPORT_KEYS: readonly ConfigKey[] = [...STORAGE_KEYS, 'private', 'nosumdb'];

/** A --since argument: a manifest JSON file or a bundle (its manifest is read). Several merge. */
async function readSince(files: readonly string[]): Promise<BundleManifest | undefined> {
  if (files.length === 0) return undefined;
  const manifests: BundleManifest[] = [];
  for (const f of files) {
    const fh = await open(f, 'r');
    const magic = Buffer.alloc(2);
    await fh.read(magic, 0, 2, 0);
    await fh.close();
    manifests.push(magic[0] === 0x1f && magic[1] === 0x8b ? await stageManifestOnly(createReadStream(f)) : parseManifest(await readFile(f, 'utf8'), f));
  }
  const trees = new Map<string, BundleManifest['sumdb'][number]>();
  for (const m of manifests) for (const t of m.sumdb) if ((trees.get(t.name)?.size ?? -1) < t.size) trees.set(t.name, t);
  return { ...manifests[0]!, sumdb: [...trees.values()], files: manifests.flatMap((m) => m.files), modules: manifests.flatMap((m) => m.modules) };
}

export function formatExportReport(r: ExportReport): string {
  let out = r.ok ? `exported ${r.modules} module versions to ${r.out}\n\n` : 'export FAILED: no bundle was written\n\n';
  out += formatTable(['WHAT', 'COUNT', 'SIZE'], [
    ['files', String(r.files), formatBytes(r.bytes)],
    ['zips', String(r.zips), ''],
    ['checksum records', String(r.records), ''],
    ['tiles', String(r.tiles), ''],
    ['bundle (gzip)', '1', formatBytes(r.bundleBytes)],
    ['already on the other side (--since)', String(r.alreadyThere), ''],
  ]);
  for (const db of r.sumdb) out += `proven against ${db.name} tree ${db.size}${db.consistentWith !== undefined ? `, consistent with tree ${db.consistentWith}` : ''}\n`;
  for (const s of r.skipped) out += `skipped ${s.module}: ${s.reason}\n`;
  for (const e of r.errors) out += `error: ${e}\n`;
  return out;
}

export function formatImportReport(r: ImportReport): string {
  if (r.status === 'refused') {
    let out = `import REFUSED: nothing was stored (${r.problems.length} problem${r.problems.length === 1 ? '' : 's'})\n`;
    for (const p of r.problems) {
      out += `\n${p.file}: ${p.reason}\n`;
      if (p.expected !== undefined) out += `  expected: ${p.expected}\n`;
      if (p.actual !== undefined) out += `  actual:   ${p.actual}\n`;
    }
    return out;
  }
  let out = r.status === 'unchanged' ? `already imported: nothing changed (${r.modules} module versions, ${r.files} files)\n` : `imported ${r.modules} module versions\n`;
  out += `\n${formatTable(['WHAT', 'COUNT', 'SIZE'], [
    ['files in bundle', String(r.files), formatBytes(r.bytes)],
    ['written', String(r.written), formatBytes(r.writtenBytes)],
    ['already stored', String(r.unchanged), ''],
  ])}`;
  for (const db of r.sumdb) out += `verified against ${db.name} tree ${db.size}${db.newer ? ' (now the latest known tree)' : ''}\n`;
  return out;
}

interface BundleFlags extends Record<string, unknown> {
  output?: string;
  proxy?: string;
  since?: string[];
  json?: boolean;
  concurrency?: string;
}

export function registerBundleCommands(program: Command): void {
  const exp = program
    .command('export')
    .description('write an air-gap bundle: module files plus the checksum-database proofs that vouch for them')
    .argument('<inputs...>', 'go.mod or go.sum files, or module@version')
    .requiredOption('-o, --output <file>', 'the bundle file to write (.tgz)')
    .option('--proxy <url>', 'read through a running modgate (else its storage: --cache-dir / --storage)')
    .option('--since <manifest>', 'a manifest or bundle the other side already imported: write only what is missing (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--concurrency <n>', 'parallel downloads', '8')
    .option('--json', 'JSON lines: progress, then the report');
  addConfigOptions(exp, EXPORT_KEYS).action(async (inputs: string[], flags: BundleFlags) => {
    const config = configFromFlags(flags);
    const databases = bundleDatabases(config, 'export');
    const { source } = await createExportSource(config, flags.proxy);
    const progress = createProgressOutput(flags.json === true, 'export');
    let report: ExportReport;
    try {
      report = await exportBundle({
        inputs: await Promise.all(inputs.map((a) => readWalkInput('export', a))),
        source,
        databases,
        out: flags.output!,
        tempDir: tmpdir(),
        since: await readSince(flags.since ?? []),
        concurrency: Math.max(1, Number(flags.concurrency) || 8),
        onProgress: (p) => progress.step(p),
      });
    } finally {
      progress.stop();
      await source.close();
    }
    if (report.ok && report.manifest) await writeFile(`${flags.output!}.manifest.json`, `${JSON.stringify(report.manifest, null, 1)}\n`);
    const { manifest: _m, ...summary } = report;
    process.stdout.write(flags.json === true ? `${JSON.stringify({ event: 'report', ...summary })}\n` : formatExportReport(report));
    if (!report.ok) process.exitCode = 1;
  });

  const imp = program
    .command('import')
    .description('verify an air-gap bundle with no network and store it (all or nothing)')
    .argument('<file>', 'the bundle written by modgate export')
    .option('--json', 'JSON lines: progress, then the report');
  addConfigOptions(imp, STORAGE_KEYS).action(async (file: string, flags: BundleFlags) => {
    const config = configFromFlags(flags);
    const databases = bundleDatabases(config, 'import');
    const { storage } = await createStorage(config);
    const progress = createProgressOutput(flags.json === true, 'import');
    let report: ImportReport;
    try {
      report = await importBundle({
        input: createReadStream(file),
        storage,
        databases,
        tempDir: tmpdir(),
        onProgress: (p) => progress.step(p.phase === 'read' ? { phase: 'read', done: p.files, total: p.files, file: formatBytes(p.bytes) } : p),
      });
    } finally {
      progress.stop();
    }
    process.stdout.write(flags.json === true ? `${JSON.stringify({ event: 'report', ...report })}\n` : formatImportReport(report));
    if (report.status === 'refused') process.exitCode = 1;
  });
}
