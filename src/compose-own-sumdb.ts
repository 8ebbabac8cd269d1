// Constructs modgate's own checksum database from the config: the signer key (key file or env
// MODGATE_OWN_SUMDB_KEY, never logged), the log over the configured Storage, the writer under the
// coordinator's lease (one writer across replicas), the recording gate, routes, metrics, status.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Counter, Gauge } from 'prom-client';
import type { Config } from './config/config-schema.js';
import { ModgateError } from './errors/modgate-error.js';
import type { Coordinator } from './coordination/coordinator.js';
import type { Storage } from './storage/storage.js';
import type { EventLog } from './observe/event-log.js';
import type { Metrics } from './observe/metrics.js';
import type { Logger } from './observe/logger.js';
import { parseSigningKey, type SigningKey } from './sumdb/signer-key.js';
import { LogServer } from './sumdb/log-server.js';
import { LogWriter } from './sumdb/log-writer.js';
import { createStorageLogStore } from './cache/storage-log-store.js';
import { createRecordingGate } from './cache/recording-gate.js';
import type { IntegrityGate } from './cache/integrity-gate.js';
import { createAdmission } from './cache/own-sumdb-admission.js';
import type { ModuleCache } from './cache/module-cache.js';
import type { ReadinessCheck } from './http/proxy-server.js';
import type { AccessPolicy } from './http/access-policy.js';
import { ownSumdbRoutes } from './http/own-sumdb-routes.js';

export interface OwnSumdbStatus {
  readonly name: string;
  readonly vkey: string;
  readonly size: number;
  /** When this replica first saw the published tree (ISO time), or undefined for the empty log. */
  readonly lastTreeTime: string | undefined;
  readonly refusals: number;
  readonly alarm: string | undefined;
}

/** Hashes the upstream checksum databases vouch for (public paths). */
type ExpectedHashes = (path: string, version: string) => Promise<{ mod?: string; zip?: string }>;

export interface OwnSumdb {
  readonly name: string;
  readonly vkey: string;
  readonly server: LogServer;
  readonly writer: LogWriter;
  /** The gate recording every admitted version, in front of `inner`. */
  wrapGate(inner: IntegrityGate, expected: ExpectedHashes): IntegrityGate;
  /** The /sumdb/<name>/ routes; a lookup of a version not recorded yet admits it through the cache. */
  routes(deps: { cache: ModuleCache; access: AccessPolicy; expected: ExpectedHashes }): ReturnType<typeof ownSumdbRoutes>;
  readonly readiness: ReadinessCheck;
  status(): OwnSumdbStatus;
  /** Publishes queued records (shutdown). */
  close(): Promise<void>;
}

const HOW_TO = 'create one with `modgate sumdb keygen NAME --out FILE` and pass --own-sumdb-key-file FILE (or set MODGATE_OWN_SUMDB_KEY to the key)';

/** The signer key of the own database; throws CONFIG_INVALID saying how to make one (never echoing a key). */
export function readOwnSumdbKey(config: Config, env: NodeJS.ProcessEnv = process.env): SigningKey {
  let text = env.MODGATE_OWN_SUMDB_KEY?.trim() ?? '';
  let from = 'MODGATE_OWN_SUMDB_KEY';
  if (text === '' && config.ownSumdbKeyFile) {
    from = config.ownSumdbKeyFile;
    try {
      text = readFileSync(config.ownSumdbKeyFile, 'utf8').trim();
    } catch (err) {
      throw new ModgateError('CONFIG_INVALID', `own checksum database ${config.ownSumdb}: cannot read key file ${config.ownSumdbKeyFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, { hint: HOW_TO });
    }
  }
  if (text === '') throw new ModgateError('CONFIG_INVALID', `own checksum database ${config.ownSumdb} needs a signer key`, { hint: HOW_TO });
  let key: SigningKey;
  try {
    key = parseSigningKey(text);
  } catch {
    throw new ModgateError('CONFIG_INVALID', `own checksum database ${config.ownSumdb}: ${from} does not hold a valid signer key`, { hint: HOW_TO });
  }
  if (key.name !== config.ownSumdb) {
    throw new ModgateError('CONFIG_INVALID', `own checksum database ${config.ownSumdb}: the signer key in ${from} is for ${key.name}`, { hint: HOW_TO });
  }
  return key;
}

export interface OwnSumdbDeps {
  readonly storage: Storage;
  readonly coordinator: Coordinator;
  readonly events: EventLog;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly nosumdb: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** The own checksum database, or undefined when --own-sumdb is not set. */
export function createOwnSumdb(config: Config, deps: OwnSumdbDeps): OwnSumdb | undefined {
  if (!config.ownSumdb) return undefined;
  if (config.workers > 1 && !config.redis) {
    throw new ModgateError('CONFIG_INVALID', `own checksum database ${config.ownSumdb} with --workers ${config.workers} needs --redis`, {
      hint: 'the log has exactly one writer at a time; across processes that takes the Redis lease (or run --workers 1)',
    });
  }
  const key = readOwnSumdbKey(config, deps.env);
  const name = key.name;
  const store = createStorageLogStore(deps.storage, name);
  const registers = [deps.metrics.registry];
  const refusals = new Counter({ name: 'modgate_own_sumdb_refusals_total', help: 'Bytes refused because they differ from the own checksum database record', labelNames: ['kind'], registers });
  const alarms = new Counter({ name: 'modgate_own_sumdb_alarms_total', help: 'Stored trees of the own checksum database not published (rewind, fork, inconsistent)', labelNames: ['kind'], registers });
  let refused = 0;
  const firstSeen = new Map<string, string>();
  // The last tree published here, kept beside the cache (not in the log's storage): a restart never
  // publishes a stored tree that does not extend it.
  const lastFile = join(config.cacheDir, '.modgate', `own-sumdb-${name.replace(/[^A-Za-z0-9.-]/g, '_')}.tree`);
  let lastPublished: Buffer | undefined;
  try {
    lastPublished = readFileSync(lastFile);
  } catch {
    lastPublished = undefined;
  }
  const server = new LogServer({
    key,
    store,
    lastPublished,
    onPublish: (t) => {
      try {
        mkdirSync(dirname(lastFile), { recursive: true });
        writeFileSync(`${lastFile}.tmp-${process.pid}`, t.note);
        renameSync(`${lastFile}.tmp-${process.pid}`, lastFile);
      } catch (err) {
        deps.logger.warn({ sumdb: name, err: (err as Error).message }, 'own checksum database: cannot keep the last published tree');
      }
    },
    onAlarm: (a) => {
      alarms.inc({ kind: a.kind });
      deps.logger.error({ sumdb: name, kind: a.kind }, `SECURITY: ${a.message}`);
      void deps.events.record('sumdb_fork', a.message, { sumdb: name, kind: a.kind });
    },
  });
  const seen = (): string | undefined => {
    const t = server.published.tree;
    if (t.n === 0) return undefined;
    const id = `${t.n} ${t.hash.toString('base64')}`;
    if (!firstSeen.has(id)) {
      firstSeen.clear();
      firstSeen.set(id, new Date().toISOString());
    }
    return firstSeen.get(id);
  };
  new Gauge({ name: 'modgate_own_sumdb_records', help: 'Records in the published tree of the own checksum database', registers, collect() {
    this.set(server.published.tree.n);
  } });
  new Gauge({ name: 'modgate_own_sumdb_last_tree_timestamp_seconds', help: 'When this replica first saw the published tree head', registers, collect() {
    const t = seen();
    this.set(t ? Date.parse(t) / 1000 : 0);
  } });
  const lease = {
    run: <T>(fn: (role: { stillOwner(): Promise<boolean> }) => Promise<T>) =>
      deps.coordinator.run(`own-sumdb:${name}`, (ctx) => fn({ stillOwner: () => ctx.stillOwner() })),
  };
  const writer = new LogWriter({
    server,
    store,
    key,
    lease,
    onCommit: (tree, appended) => deps.logger.info({ sumdb: name, size: tree.tree.n, appended }, 'own checksum database: tree published'),
  });
  void server.refresh(true).catch((err: unknown) => deps.logger.error({ sumdb: name, err: (err as Error).message }, 'own checksum database: reading the stored tree failed'));
  return {
    name,
    vkey: key.vkey,
    server,
    writer,
    wrapGate: (inner, expected) =>
      createRecordingGate({
        inner, expected, recorder: writer, name, nosumdb: deps.nosumdb, storage: deps.storage, events: deps.events,
        onRefusal: (kind) => {
          refused++;
          refusals.inc({ kind });
        },
      }),
    routes: (r) => ownSumdbRoutes({
      pathPrefix: config.pathPrefix, server, access: r.access,
      admit: createAdmission({ cache: r.cache, recorder: writer, storage: deps.storage, nosumdb: deps.nosumdb, expected: r.expected }),
    }),
    readiness: {
      name: `own checksum database ${name}`,
      check: async () => {
        await server.refresh();
        if (server.alarm) throw new Error(server.alarm.message);
      },
    },
    status: () => ({ name, vkey: key.vkey, size: server.published.tree.n, lastTreeTime: seen(), refusals: refused, alarm: server.alarm?.message }),
    close: () => writer.drain(),
  };
}
