// Composition of checksum verification: one sumdb client per configured database (transport
// direct or through the upstream proxies, state kept in storage), one multi-database verifier,
// and the integrity gate over it (or the basic gate when verification is off).
import type { Config } from './config/config-schema.js';
import { nosumdbPatterns } from './config/effective-patterns.js';
import { ModgateError } from './errors/modgate-error.js';
import type { Logger } from './observe/logger.js';
import type { EventLog } from './observe/event-log.js';
import type { Metrics } from './observe/metrics.js';
import type { Storage } from './storage/storage.js';
import { createMemoryStorage } from './storage/memory-storage.js';
import type { GosumdbConfig } from './sumdb/gosumdb.js';
import { createSumdbClient, type SumdbForkInfo } from './sumdb/sumdb-client.js';
import { createMultiVerifier, type MultiVerifier, type SumdbHandle, type VerifiedHashes } from './sumdb/sumdb-verifier.js';
import type { ProxyEntry } from './upstream/proxy-list.js';
import { createSumdbTransport } from './upstream/sumdb-transport.js';
import { createOfflineSumdbTransport } from './sumdb/offline-transport.js';
import { isOffline } from './config/offline-mode.js';
import { createBasicGate } from './cache/basic-gate.js';
import { createVerifyingGate } from './cache/verifying-gate.js';
import { createStorageSumdbStore } from './cache/storage-sumdb-store.js';
import type { StorageFailure } from './cache/module-cache.js';
import type { IntegrityGate } from './cache/integrity-gate.js';
import type { ReadinessCheck } from './http/proxy-server.js';

export interface Verification {
  readonly gate: IntegrityGate;
  /** Verified hashes from the databases; undefined when verification is off. */
  readonly expected: ((path: string, version: string) => Promise<VerifiedHashes>) | undefined;
  readonly databases: readonly SumdbHandle[];
  /** Each database and whether it forked; 'off' when verification is off. */
  forkState(): Array<{ name: string; forked: boolean }> | 'off';
  readonly readiness: ReadinessCheck;
}

interface VerifierOptions {
  readonly databases: readonly GosumdbConfig[];
  /** Proxies whose /sumdb/ endpoints reach a database given without an explicit URL. */
  readonly proxies: readonly ProxyEntry[];
  readonly timeoutMs: number;
  /** Where each database's verified tree state is kept. */
  readonly storage: Storage;
  readonly onFork?: (db: string, info: SumdbForkInfo) => void;
  /** Store writes that failed (verification goes on from memory). */
  readonly onStorageFailure?: (f: StorageFailure) => void;
  /** Offline (`--upstream off`): answer only from stored (imported) proofs. */
  readonly offline?: boolean;
}

/** The clients of the databases behind one verifier. */
export function createVerifier(opts: VerifierOptions): MultiVerifier {
  const handles: SumdbHandle[] = opts.databases.map((db) => ({
    name: db.name,
    client: createSumdbClient({
      name: db.name,
      vkey: db.vkey,
      transport: opts.offline
        ? createOfflineSumdbTransport(db.name)
        : createSumdbTransport({ name: db.name, explicitUrl: db.explicitUrl ? db.url : undefined, proxies: opts.proxies, timeoutMs: opts.timeoutMs }),
      store: createStorageSumdbStore(opts.storage, db.name, opts.onStorageFailure ? { onStorageFailure: opts.onStorageFailure } : {}),
      ...(opts.onFork ? { onFork: (info: SumdbForkInfo) => opts.onFork!(db.name, info) } : {}),
    }),
  }));
  return createMultiVerifier(handles);
}

/** Checksum database clients and the integrity gate for a config (verification off → basic gate). */
export function createVerification(config: Config, deps: { storage: Storage; events: EventLog; metrics: Metrics; logger: Logger; onStorageFailure?: (f: StorageFailure) => void }): Verification {
  if (config.sumdb === 'off') {
    deps.logger.warn('checksum verification is OFF (--sumdb off): modgate will cache and serve bytes no checksum database vouched for');
    return {
      gate: createBasicGate(),
      expected: undefined,
      databases: [],
      forkState: () => 'off',
      readiness: { name: 'sumdb', check: async () => 'verification is off (--sumdb off): bytes are not checked against a checksum database' },
    };
  }
  const verifier = createVerifier({
    databases: config.sumdb,
    proxies: config.upstream,
    timeoutMs: config.upstreamTimeoutMs,
    storage: deps.storage,
    ...(deps.onStorageFailure ? { onStorageFailure: deps.onStorageFailure } : {}),
    offline: isOffline(config),
    onFork: (name, info) => {
      deps.metrics.sumdbForks.inc({ sumdb: name });
      deps.logger.error({ sumdb: name, older: info.olderNote, newer: info.newerNote }, `SECURITY: checksum database ${name} forked: ${info.message}`);
      void deps.events.record('sumdb_fork', `checksum database ${name} presented a tree inconsistent with one it signed before`, {
        sumdb: name, olderNote: info.olderNote, newerNote: info.newerNote, reason: info.message,
      });
    },
  });
  const gate = createVerifyingGate({
    verifier,
    nosumdb: nosumdbPatterns(config),
    storage: deps.storage,
    events: deps.events,
    ...(deps.onStorageFailure ? { onStorageFailure: deps.onStorageFailure } : {}),
    onVerify: (result, kind) => deps.metrics.verifications.inc({ kind, result }),
  });
  const { databases } = verifier;
  return {
    gate,
    expected: (path, version) => gate.expected(path, version),
    databases,
    forkState: () => (databases.length === 0 ? 'off' : databases.map((d) => ({ name: d.name, forked: d.client.forked }))),
    readiness: {
      name: 'sumdb',
      check: async () => {
        const forked = databases.filter((d) => d.client.forked).map((d) => d.name);
        if (forked.length > 0) throw new Error(`checksum database ${forked.join(', ')} FORKED: refusing to verify anything (see /admin/events)`);
      },
    },
  };
}

/** A verifier whose clients keep their state in memory (CLI use: verify-gosum). */
export function createMemoryVerifier(opts: { databases: readonly GosumdbConfig[] | 'off'; proxies: readonly ProxyEntry[]; timeoutMs: number }): MultiVerifier {
  if (opts.databases === 'off') throw new ModgateError('CONFIG_INVALID', 'sumdb is off: there is nothing to verify against', { hint: 'pass --sumdb (GOSUMDB syntax)' });
  return createVerifier({ databases: opts.databases, proxies: opts.proxies, timeoutMs: opts.timeoutMs, storage: createMemoryStorage() });
}
