// The operations service behind the dashboard and admin APIs: the overview, version details,
// refresh, prewarm jobs (run through this server's own URL, so they fill the cache as a client
// would), air-gap bundle imports, purge and GC through the cache inventory, and the scheduled GC
// and inventory flush.
import type { Readable } from 'node:stream';
import type { Config } from '../config/config-schema.js';
import type { ModuleCache } from '../cache/module-cache.js';
import { createCacheInventory, type CacheInventory } from '../cache/cache-inventory.js';
import type { AccessTimes } from '../cache/access-times.js';
import { createJobRegistry } from '../cache/job-registry.js';
import { versionKey } from '../cache/cache-keys.js';
import type { PurgeBus } from '../coordination/freshness-store.js';
import type { EventLog } from '../observe/event-log.js';
import type { Logger } from '../observe/logger.js';
import type { RequestStats } from '../observe/request-stats.js';
import type { Storage } from '../storage/storage.js';
import { matchPrefixPatterns } from '../module/patterns.js';
import type { Operations, Overview } from './operations.js';
import { clientUsage } from './client-usage.js';
import { APP_VERSION } from './app-version.js';

export interface OperationsParts {
  readonly ops: Operations;
  readonly stats: RequestStats;
  readonly inventory: CacheInventory;
  close(): Promise<void>;
}

export function createOperations(deps: {
  config: Config;
  accessTimes: AccessTimes;
  storage: Storage;
  cache: ModuleCache;
  events: EventLog;
  purgeBus: PurgeBus;
  logger: Logger;
  nosumdb: string;
  forked: () => Array<{ name: string; forked: boolean }> | 'off';
  stats: RequestStats;
  ownSumdb?: (() => NonNullable<Overview['ownSumdb']>) | undefined;
  /** Checksum databases and a temp dir for bundle imports (none: no /admin/import). */
  importer?: { databases: ReadonlyArray<{ name: string; vkey: string }>; tempDir: string };
}): OperationsParts {
  const startedAt = Date.now();
  const { stats } = deps;
  const inventory = createCacheInventory({
    storage: deps.storage,
    accessTimes: deps.accessTimes,
    gcMinAgeMs: deps.config.gcMinAgeSeconds * 1000,
    onPurged: async (path) => {
      await deps.purgeBus.publish(path);
    },
  });
  const jobs = createJobRegistry();

  const flushTimer = setInterval(() => void inventory.flush().catch(() => undefined), 30_000);
  flushTimer.unref();
  let gcTimer: NodeJS.Timeout | undefined;
  if (deps.config.gcMaxBytes > 0) {
    gcTimer = setInterval(() => {
      inventory
        .gc({ maxBytes: deps.config.gcMaxBytes })
        .then(async (r) => {
          if (r.removed.length > 0) await deps.events.record('gc', `scheduled GC removed ${r.removed.length} versions (${r.freedBytes} bytes)`, { removed: r.removed.length, freedBytes: r.freedBytes });
        })
        .catch((err: unknown) => deps.logger.warn({ err: (err as Error).message }, 'scheduled GC failed'));
    }, deps.config.gcIntervalSeconds * 1000);
    gcTimer.unref();
  }

  const ops: Operations = {
    stats,
    events: deps.events,
    inventory,
    jobs,
    async overview(baseUrl): Promise<Overview> {
      const inv = await inventory.scan();
      const t = stats.totals;
      const served = t.hits + t.misses + t.stale + t.negative;
      const privatePatterns = deps.config.private;
      const db = deps.forked();
      const own = deps.ownSumdb?.();
      return {
        version: APP_VERSION,
        startedAt: new Date(startedAt).toISOString(),
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        upstreams: stats.upstreams(),
        sumdb: db,
        cache: {
          objects: inv.objects,
          bytes: inv.bytes,
          versions: [...inv.modules.values()].reduce((n, m) => n + m.versions.size, 0),
          modules: inv.modules.size,
          scannedAt: new Date(inv.scannedAt).toISOString(),
        },
        totals: { ...t, hitRatio: served > 0 ? (t.hits + t.stale) / served : null },
        usage: clientUsage({ baseUrl, sumdb: db, ownVkey: own?.vkey, privatePatterns }),
        ...(own ? { ownSumdb: own } : {}),
      };
    },
    async versionDetails(path, version, files) {
      const out: { ziphash?: string; time?: string } = {};
      if (files.includes('ziphash')) {
        const h = await deps.storage.get(versionKey(path, version, 'ziphash'));
        if (h) out.ziphash = h.toString('utf8').trim();
      }
      if (files.includes('info')) {
        const b = await deps.storage.get(versionKey(path, version, 'info'));
        try {
          const t = (JSON.parse(b?.toString('utf8') ?? '{}') as { Time?: unknown }).Time;
          if (typeof t === 'string') out.time = t;
        } catch {
          // an unreadable .info: no time
        }
      }
      return out;
    },
    verificationOf(path) {
      if (matchPrefixPatterns(deps.nosumdb, path)) return 'pinned';
      return deps.forked() === 'off' ? 'unverified' : 'sumdb';
    },
    async refresh(path) {
      const r = await deps.cache.revalidate(path);
      const list = (r.list.body?.toString('utf8') ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
      let latest: string | undefined;
      if (r.latest?.body) latest = (JSON.parse(r.latest.body.toString('utf8')) as { Version: string }).Version;
      return { module: path, list, ...(latest !== undefined ? { latest } : {}) };
    },
    async prewarm(text, baseUrl) {
      // The prewarm walker (and its HTTP client, undici) is loaded by the first prewarm, not at startup.
      const { inputsFromText, prewarm } = await import('./prewarm-run.js');
      const inputs = inputsFromText(text, 'request body');
      return jobs.start('prewarm', async (progress) => {
        const report = await prewarm({
          inputs,
          proxy: baseUrl,
          concurrency: 8,
          retries: 2,
          timeoutMs: deps.config.upstreamTimeoutMs * 2,
          onProgress: (p) => {
            progress.set({ total: p.total, done: p.done });
            if (p.last.status === 'failed') progress.error(`${p.last.path}@${p.last.version} .${p.last.kind}: ${p.last.reason ?? 'failed'}`);
          },
        });
        progress.set({ failed: report.totals.all.failed });
        for (const e of report.errors) progress.error(e);
        await inventory.pin(`prewarm-${Date.now()}`, report.modules.map((m) => `${m.path}@${m.version}`));
        return { totals: report.totals, modules: report.modules.length };
      });
    },
    ...(deps.importer && deps.importer.databases.length > 0
      ? {
          // The bundle reader (tar, zip checks) is loaded by the first import, not at start.
          importBundle: async (body: Readable) =>
            (await import('../bundle/import-job.js')).startImportJob({
              jobs,
              storage: deps.storage,
              databases: deps.importer!.databases,
              tempDir: deps.importer!.tempDir,
              body,
              onImported: async (r) => {
                for (const path of r.changedModules) await deps.purgeBus.publish(path);
                if (r.status === 'imported') await deps.events.record('import', `imported an air-gap bundle: ${r.modules} module versions, ${r.written} files written`, { modules: r.modules, written: r.written, bytes: r.writtenBytes });
              },
            }),
        }
      : {}),
    gc(opts) {
      return inventory.gc({ maxBytes: opts.maxBytes ?? deps.config.gcMaxBytes, dryRun: opts.dryRun });
    },
  };
  return {
    ops,
    stats,
    inventory,
    async close() {
      clearInterval(flushTimer);
      if (gcTimer) clearInterval(gcTimer);
      await inventory.flush().catch(() => undefined);
    },
  };
}
