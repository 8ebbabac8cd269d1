// Composition for `modgate export` and `modgate import`: the checksum databases a config names and
// an export source (a running modgate, or storage with verifier clients over it).
import type { Config } from './config/config-schema.js';
import { ModgateError } from './errors/modgate-error.js';
import { createStorage } from './compose-scale.js';
import { createVerifier } from './compose-verification.js';
import { isOffline } from './config/offline-mode.js';
import { nosumdbPatterns } from './config/effective-patterns.js';
import { createProxySource, createStorageSource, type ExportSource } from './bundle/export-source.js';
import type { SumdbClient } from './sumdb/sumdb-client.js';

export interface BundleDatabase {
  readonly name: string;
  readonly vkey: string;
}

/** The checksum databases of a config (`--sumdb`); export and import need at least one. */
export function bundleDatabases(config: Config, what: string): BundleDatabase[] {
  if (config.sumdb === 'off') {
    throw new ModgateError('CONFIG_INVALID', `${what} needs a checksum database (--sumdb in GOSUMDB syntax), not --sumdb off`, {
      hint: 'bundles carry checksum-database proofs; give the same --sumdb as the server uses',
    });
  }
  return config.sumdb.map((d) => ({ name: d.name, vkey: d.vkey }));
}

/** Where an export reads from: `--proxy URL`, else the config's storage (private paths never looked up). */
export async function createExportSource(config: Config, proxyUrl: string | undefined): Promise<{ source: ExportSource }> {
  if (proxyUrl !== undefined) return { source: createProxySource(proxyUrl, config.upstreamTimeoutMs * 2) };
  const { storage } = await createStorage(config);
  const clients = new Map<string, SumdbClient>();
  if (config.sumdb !== 'off') {
    const verifier = createVerifier({ databases: config.sumdb, proxies: config.upstream, timeoutMs: config.upstreamTimeoutMs, storage, offline: isOffline(config) });
    for (const d of verifier.databases) clients.set(d.name, d.client);
  }
  return { source: createStorageSource(storage, clients, nosumdbPatterns(config)) };
}
