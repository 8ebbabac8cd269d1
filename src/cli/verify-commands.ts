// `modgate verify-cache` and `modgate verify-gosum`: handlers return reports; the entry point
// prints them as tables or --json, and the exit code says whether anything was wrong.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createFsStorage } from '../storage/fs-storage.js';
import { createEventLog } from '../observe/event-log.js';
import { createMetrics } from '../observe/metrics.js';
import { createLogger } from '../observe/logger.js';
import { verifyCache, type VerifyCacheReport } from '../cache/verify-cache.js';
import { verifyGoSum, type VerifyGoSumReport } from '../sumdb/verify-gosum.js';
import { createMemoryVerifier, createVerification } from '../compose-verification.js';
import { nosumdbPatterns } from '../config/effective-patterns.js';
import { parseSumdbList } from '../sumdb/gosumdb.js';
import { parseProxyList } from '../upstream/proxy-list.js';
import { addConfigOptions, configFromFlags } from './config-options.js';
import { formatTable } from './output-table.js';
import { readOwnSumdbKey } from '../compose-own-sumdb.js';
import { LogServer } from '../sumdb/log-server.js';
import { parseGoSumRecord } from '../sumdb/log-record.js';
import { createStorageLogStore } from '../cache/storage-log-store.js';
import type { Config } from '../config/config-schema.js';
import type { Storage } from '../storage/storage.js';

/** With --own-sumdb: the hashes recorded in the own database (read from the log in storage). */
function ownSumdbRecords(config: Config, storage: Storage) {
  if (!config.ownSumdb) return undefined;
  const server = new LogServer({ key: readOwnSumdbKey(config), store: createStorageLogStore(storage, config.ownSumdb) });
  let ready: Promise<unknown> | undefined;
  return async (path: string, version: string) => {
    ready ??= server.refresh(true);
    await ready;
    const rec = await server.findRecord(path, version);
    const h = rec && parseGoSumRecord(path, version, rec.text);
    return h ? { mod: h.modHash, zip: h.zipHash } : undefined;
  };
}

export async function runVerifyCache(flags: Record<string, unknown>): Promise<VerifyCacheReport> {
  const config = configFromFlags(flags);
  const storage = createFsStorage(resolve(config.cacheDir));
  const logger = createLogger({ level: 'warn', format: 'json', destination: process.stderr });
  const verification = createVerification(config, { storage, events: createEventLog(storage), metrics: createMetrics({ processMetrics: false }), logger });
  const recorded = ownSumdbRecords(config, storage);
  return verifyCache({ storage, expected: verification.expected, nosumdb: nosumdbPatterns(config), purge: flags.purge === true, ...(recorded ? { recorded } : {}) });
}

export function formatVerifyCache(r: VerifyCacheReport): string {
  let out = `checked ${r.checked.zip} zips and ${r.checked.mod} go.mod files\n`;
  if (r.findings.length > 0) {
    out += `\n${r.findings.length} finding(s):\n`;
    out += formatTable(
      ['MODULE', 'FILE', 'PROBLEM', 'EXPECTED', 'ACTUAL', 'PURGED'],
      r.findings.map((f) => [`${f.module}@${f.version}`, `.${f.file}`, f.problem, f.expected ?? '', f.actual ?? '', f.purged ? 'yes' : 'no']),
    );
  }
  if (r.unverified.length > 0) {
    out += `\n${r.unverified.length} not checked against a checksum database:\n`;
    out += formatTable(['MODULE', 'REASON'], r.unverified.map((u) => [`${u.module}@${u.version}`, u.reason]));
  }
  out += r.findings.length === 0 ? '\nok: every cached file matches\n' : '\nFAILED: the cache holds files that do not match\n';
  return out;
}

export async function runVerifyGoSum(files: string[], flags: Record<string, unknown>): Promise<VerifyGoSumReport> {
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const sumdb = str(flags.sumdb) ?? process.env.GOSUMDB ?? 'sum.golang.org';
  const nosumdb = str(flags.nosumdb) ?? process.env.GONOSUMDB ?? process.env.GOPRIVATE ?? '';
  const proxies = str(flags.proxy) ?? '';
  const verifier = createMemoryVerifier({ databases: parseSumdbList(sumdb), proxies: proxies ? parseProxyList(proxies) : [], timeoutMs: Number(flags.timeoutMs ?? 30000) });
  const inputs = await Promise.all((files.length > 0 ? files : ['go.sum']).map(async (name) => ({ name, text: await readFile(name, 'utf8') })));
  const lookup = async (path: string, version: string): Promise<{ modHash: string; zipHash: string | undefined }> => {
    const r = await verifier.lookup(path, version);
    return { modHash: r.mod ?? '', zipHash: r.zip };
  };
  return verifyGoSum({ files: inputs, lookup, nosumdb });
}

export function formatVerifyGoSum(r: VerifyGoSumReport): string {
  const bad = r.results.filter((x) => x.status !== 'ok' && x.status !== 'skipped');
  let out = '';
  if (bad.length > 0) {
    out += formatTable(['STATUS', 'FILE', 'LINE', 'EXPECTED / REASON'], bad.map((x) => [x.status.toUpperCase(), x.file, x.line, x.expected ?? x.reason ?? '']));
    out += '\n';
  }
  const c = r.counts;
  out += `${c.ok} ok, ${c.mismatch} mismatched, ${c.unknown} unknown to the database, ${c.skipped} skipped (private), ${c.error} errors\n`;
  return out;
}

export function registerVerify(program: Command): void {
  addConfigOptions(program.command('verify-cache').description('re-hash every cached version against its recorded hash and the checksum database'), [
    'cacheDir', 'sumdb', 'nosumdb', 'private', 'upstream', 'upstreamTimeoutMs', 'ownSumdb', 'ownSumdbKeyFile',
  ])
    .option('--purge', 'remove every version with a finding')
    .option('--json', 'machine-readable output')
    .action(async (flags: Record<string, unknown>) => {
      const report = await runVerifyCache(flags);
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatVerifyCache(report));
      process.exitCode = report.findings.length > 0 ? 1 : 0;
    });
  program
    .command('verify-gosum')
    .description('check go.sum lines against the checksum database (a CI gate); exits 1 on a mismatch')
    .argument('[files...]', 'go.sum files (default ./go.sum)')
    .option('--sumdb <setting>', 'checksum database in GOSUMDB syntax (default $GOSUMDB or sum.golang.org)')
    .option('--proxy <url>', 'reach the database through this proxy\'s /sumdb/ endpoints (e.g. a modgate URL)')
    .option('--nosumdb <patterns>', 'skip these paths (default $GONOSUMDB or $GOPRIVATE)')
    .option('--timeout-ms <ms>', 'per-request timeout', '30000')
    .option('--json', 'machine-readable output')
    .action(async (files: string[], flags: Record<string, unknown>) => {
      const report = await runVerifyGoSum(files, flags);
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatVerifyGoSum(report));
      process.exitCode = report.counts.mismatch > 0 || report.counts.error > 0 ? 1 : 0;
    });
}
