// Wiring of observation: the metrics registry, request statistics, the event log (a refused
// answer counts against its upstream), the storage-failure reporter, the audit log, and the log
// lines of background work (revalidation, identity and certificate reloads).
import type { Config } from './config/config-schema.js';
import type { Logger } from './observe/logger.js';
import { createMetrics, type Metrics, type MetricsOptions } from './observe/metrics.js';
import { createRequestStats, type RequestStats } from './observe/request-stats.js';
import { createEventLog, type EventLog } from './observe/event-log.js';
import { createAuditLog, type AuditLog } from './observe/audit-log.js';
import type { Storage } from './storage/storage.js';
import type { Refusal, StorageFailure } from './cache/module-cache.js';
import type { PrefetchOutcome } from './cache/prefetcher.js';
import type { PolicyRefusal } from './policy/policy-cache.js';

export interface Observation {
  readonly metrics: Metrics;
  readonly stats: RequestStats;
  readonly events: EventLog;
  readonly audit: AuditLog;
  /** A store that failed: logged, counted (modgate_storage_errors_total), recorded as a storage_error event. */
  readonly onStorageFailure: (f: StorageFailure) => void;
  /** Bytes an upstream served that the checks refused: recorded as a pollution event. */
  readonly onRefusal: (r: Refusal) => void;
  readonly onPrefetch: (o: PrefetchOutcome) => void;
  readonly onBackgroundError: (err: unknown, what: string) => void;
  readonly onIdentityReload: (r: { tokens: number; issuers: number } | { error: Error }) => void;
  readonly onTlsReload: (err?: Error) => void;
  /** A request for a version the policy refuses: counted; the first in a while logged and recorded as a policy_refusal event. */
  readonly onPolicyRefusal: (r: PolicyRefusal) => void;
  readonly onPolicyReload: (err?: Error) => void;
}

export interface ObservationDeps {
  readonly storage: Storage;
  /** Read at scrape time (see MetricsOptions). */
  readonly singleflightJoins: NonNullable<MetricsOptions['singleflightJoins']>;
  readonly cacheContents: NonNullable<MetricsOptions['cacheContents']>;
}

export function createObservation(config: Config, logger: Logger, deps: ObservationDeps): Observation {
  const metrics = createMetrics({ singleflightJoins: deps.singleflightJoins, cacheContents: deps.cacheContents });
  const stats = createRequestStats();
  const events = createEventLog(deps.storage, (e) => {
    if (e.type === 'pollution' || e.type === 'pin_mismatch') {
      // A refused answer counts against the upstream: metrics, and its health on the dashboard.
      const upstream = String(e.details.upstream);
      metrics.pollutionEvents.inc({ upstream, kind: String(e.details.kind) });
      metrics.upstreamFetches.inc({ upstream, kind: String(e.details.kind), outcome: 'refused' });
      stats.recordRefusal(upstream, e.message);
    }
    logger.warn({ event: e.type, ...e.details }, e.message);
  });
  const audit = createAuditLog({
    storage: deps.storage,
    retentionDays: config.auditRetentionDays,
    onError: (err) => logger.warn({ err: err.message }, 'audit batch not stored yet (kept in memory)'),
  });
  const storageEvents = storageEventGate();
  return {
    metrics,
    stats,
    events,
    audit,
    onStorageFailure(f) {
      const errno = typeof f.error.details?.errno === 'string' ? f.error.details.errno : f.error.code;
      metrics.storageErrors.inc({ op: f.op, code: errno });
      logger.error({ err: f.error.message, code: f.error.code, errno, op: f.op, key: f.key }, 'storage failure: served without caching');
      if (storageEvents.first(f.op, errno, f.key)) {
        events.record('storage_error', `storage ${f.op} of ${f.key} failed: ${f.error.message}`, { op: f.op, code: f.error.code, errno, key: f.key }).catch(() => undefined);
      }
    },
    onRefusal(r) {
      events.record('pollution', `${r.upstream} served ${r.path}@${r.version}.${r.kind} that modgate's checks refused: ${r.rule}`, {
        module: r.path, version: r.version, kind: r.kind, upstream: r.upstream, rule: r.rule,
      }).catch(() => undefined);
    },
    onPrefetch: (o) => metrics.prefetches.inc({ outcome: o }),
    onBackgroundError: (err, what) => logger.warn({ err: (err as Error).message, what }, 'background revalidation failed'),
    onIdentityReload(r) {
      if ('error' in r) logger.error({ err: r.error.message }, 'identity file not reloaded: the previous identities stay in force');
      else logger.info(r, 'identities reloaded');
    },
    onPolicyRefusal(r) {
      metrics.policyRefusals.inc({ rule: r.rule, mode: r.mode });
      if (!r.first) return;
      const what = r.mode === 'dry-run' ? 'would be refused (dry-run: served)' : 'refused';
      events.record('policy_refusal', `${r.path}@${r.version} ${what} by the version policy (${r.rule}): ${r.reason}`, {
        module: r.path, version: r.version, rule: r.rule, mode: r.mode,
      }).catch(() => undefined);
    },
    onPolicyReload(err) {
      if (err) logger.error({ err: err.message }, 'version policy not reloaded: the previous policy stays in force');
      else logger.info({ file: config.policy }, 'version policy reloaded');
    },
    onTlsReload(err) {
      if (err) logger.error({ err: err.message }, 'TLS certificate not reloaded: the previous one stays in force');
      else logger.info({ cert: config.tlsCert }, 'TLS certificate reloaded');
    },
  };
}

/** Interval within which a storage failure of the same operation, errno and area is not recorded as an event again. */
const STORAGE_EVENT_INTERVAL_MS = 60_000;

/**
 * Which storage failures become events: the first per operation, errno and area (a `.modgate/<dir>`
 * of modgate's own state, or the module files) in a minute. A full or read-only store fails every
 * write of a build; each is still logged and counted, but hundreds of identical events would push
 * every other event (a pin that could not be written among them) out of the event log.
 */
function storageEventGate(): { first(op: string, errno: string, key: string): boolean } {
  const last = new Map<string, number>();
  return {
    first(op, errno, key) {
      const area = key.startsWith('.modgate/') ? key.slice(0, key.indexOf('/', '.modgate/'.length) + 1 || key.length) : 'modules';
      const id = `${op} ${errno} ${area}`;
      const now = Date.now();
      const at = last.get(id);
      if (at !== undefined && now - at < STORAGE_EVENT_INTERVAL_MS) return false;
      if (last.size >= 1000) last.clear();
      last.set(id, now);
      return true;
    },
  };
}
