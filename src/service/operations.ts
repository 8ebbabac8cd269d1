// What the dashboard API and the admin API can ask of the running server (service/operations-service.ts).
import type { CacheInventory, GcResult } from '../cache/cache-inventory.js';
import type { JobRegistry, JobState } from '../cache/job-registry.js';
import type { EventLog } from '../observe/event-log.js';
import type { RequestStats, UpstreamHealth } from '../observe/request-stats.js';

export interface Overview {
  readonly version: string;
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  readonly upstreams: UpstreamHealth[];
  readonly sumdb: Array<{ name: string; forked: boolean }> | 'off';
  readonly cache: { objects: number; bytes: number; versions: number; modules: number; scannedAt: string };
  readonly totals: { requests: number; hits: number; misses: number; stale: number; negative: number; errors: number; hitRatio: number | null };
  readonly usage: { goproxy: string; gosumdb: string; goprivate: string };
  /** modgate's own checksum database, when --own-sumdb is set. */
  readonly ownSumdb?: { name: string; vkey: string; size: number; lastTreeTime: string | undefined; refusals: number; alarm: string | undefined };
}

export interface Operations {
  readonly stats: RequestStats;
  readonly events: EventLog;
  readonly inventory: CacheInventory;
  readonly jobs: JobRegistry;
  /** The overview; `baseUrl` is the URL the client used to reach the server (for the usage lines). */
  overview(baseUrl: string): Promise<Overview>;
  /** The recorded zip hash and the .info time of a cached version (when those files exist). */
  versionDetails(path: string, version: string, files: readonly string[]): Promise<{ ziphash?: string; time?: string }>;
  /** How a module path's hashes are vouched for. */
  verificationOf(path: string): 'sumdb' | 'pinned' | 'unverified';
  /** Refetches list and @latest now. */
  refresh(path: string): Promise<{ module: string; list: string[]; latest?: string }>;
  /** Starts a prewarm job from a go.mod, a go.sum, or module@version lines. */
  prewarm(text: string, baseUrl: string): Promise<JobState>;
  /** Starts importing an air-gap bundle from a request body; resolves once the body is read. */
  importBundle?(body: import('node:stream').Readable): Promise<{ id: string }>;
  gc(opts: { maxBytes?: number | undefined; dryRun?: boolean | undefined }): Promise<GcResult>;
}
