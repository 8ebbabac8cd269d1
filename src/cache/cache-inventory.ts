// What the cache holds, for the dashboard and the admin API: a (periodically refreshed) scan of
// module files with sizes and last access, purge of modules/versions/patterns, and GC by size
// budget (least recently used first; versions pinned by prewarm lists kept; never a file written
// in the last minute, so nothing mid-download is touched).
import { unescapePath, unescapeVersion } from '../module/escape.js';
import { matchPrefixPatterns } from '../module/patterns.js';
import { sortVersions } from '../module/semver.js';
import type { Storage } from '../storage/storage.js';
import { STATE_PREFIX, versionKey } from './cache-keys.js';
import { createAccessTimes, type AccessTimes } from './access-times.js';

export type VersionFile = 'info' | 'mod' | 'zip' | 'ziphash';

export interface CachedVersion {
  readonly version: string;
  readonly files: VersionFile[];
  bytes: number;
  zipBytes?: number;
  modified: number;
  lastAccess?: number;
}

export interface CachedModule {
  readonly path: string;
  readonly versions: Map<string, CachedVersion>;
  /** Other keys of the module (list, @latest). */
  readonly otherKeys: string[];
}

export interface Inventory {
  readonly modules: Map<string, CachedModule>;
  readonly objects: number;
  readonly bytes: number;
  readonly scannedAt: number;
}

export interface PurgeRequest {
  readonly module?: string | undefined;
  readonly version?: string | undefined;
  readonly pattern?: string | undefined;
  readonly dryRun?: boolean | undefined;
}

export interface PurgeResult {
  readonly dryRun: boolean;
  readonly removed: Array<{ module: string; version?: string; files: number }>;
  readonly bytes: number;
}

export interface GcResult {
  readonly dryRun: boolean;
  readonly removed: Array<{ module: string; version: string; bytes: number }>;
  readonly freedBytes: number;
  readonly keptPinned: number;
  readonly totalBytes: number;
}

export interface CacheInventory {
  scan(force?: boolean): Promise<Inventory>;
  /** Records an access (served .info/.mod/.zip) for LRU. */
  touch(path: string, version: string): void;
  purge(req: PurgeRequest): Promise<PurgeResult>;
  gc(opts: { maxBytes: number; dryRun?: boolean | undefined }): Promise<GcResult>;
  /** Keeps these module@version entries out of GC (a prewarm list); `name` identifies the list. */
  pin(name: string, versions: readonly string[]): Promise<void>;
  /** Writes pending access times to storage. */
  flush(): Promise<void>;
}

const FILE_RE = /^(.+)\/@v\/(.+)\.(info|mod|zip|ziphash)$/;
const KEEP_PREFIX = `${STATE_PREFIX}gc-keep/`;
const RECENT_WRITE_MS = 60_000;

export interface CacheInventoryOptions {
  readonly storage: Storage;
  readonly scanTtlMs?: number;
  /** GC never removes a version written less than this long ago (default 60 s). */
  readonly gcMinAgeMs?: number;
  readonly now?: () => number;
  readonly onPurged?: (path: string) => Promise<void>;
  /** Last-access times (shared with the module cache, which records them); default: its own. */
  readonly accessTimes?: AccessTimes;
}

export function createCacheInventory(opts: CacheInventoryOptions): CacheInventory {
  const { storage } = opts;
  const now = opts.now ?? Date.now;
  const access = opts.accessTimes ?? createAccessTimes({ storage, now });
  let last: Promise<Inventory> | undefined;
  let lastAt = 0;

  async function doScan(): Promise<Inventory> {
    const modules = new Map<string, CachedModule>();
    let objects = 0;
    let bytes = 0;
    const times = await access.merged();
    for await (const key of storage.list('')) {
      if (key.startsWith(STATE_PREFIX) || key.startsWith('sumdb/')) continue;
      const st = await storage.stat(key);
      if (!st) continue;
      objects++;
      bytes += st.size;
      const m = FILE_RE.exec(key);
      const modPart = m ? m[1]! : key.replace(/\/@v\/list$|\/@latest$/, '');
      let path: string;
      try {
        path = unescapePath(modPart);
      } catch {
        continue;
      }
      let mod = modules.get(path);
      if (!mod) modules.set(path, (mod = { path, versions: new Map(), otherKeys: [] }));
      if (!m) {
        mod.otherKeys.push(key);
        continue;
      }
      let version: string;
      try {
        version = unescapeVersion(m[2]!);
      } catch {
        continue;
      }
      const file = m[3] as VersionFile;
      let v = mod.versions.get(version);
      if (!v) mod.versions.set(version, (v = { version, files: [], bytes: 0, modified: 0 }));
      v.files.push(file);
      v.bytes += st.size;
      v.modified = Math.max(v.modified, st.modified.getTime());
      if (file === 'zip') v.zipBytes = st.size;
      const t = times.get(`${path}@${version}`);
      if (t !== undefined) v.lastAccess = t;
    }
    return { modules, objects, bytes, scannedAt: now() };
  }

  const inventory: CacheInventory = {
    scan(force = false) {
      if (!last || force || now() - lastAt > (opts.scanTtlMs ?? 30_000)) {
        lastAt = now();
        last = doScan();
        last.catch(() => (last = undefined));
      }
      return last;
    },
    touch: (path, version) => access.touch(path, version),
    flush: () => access.flush(),
    async purge(req) {
      const inv = await inventory.scan(true);
      const dryRun = req.dryRun === true;
      const removed: PurgeResult['removed'] = [];
      let freed = 0;
      const targets = [...inv.modules.values()].filter((m) =>
        req.pattern !== undefined ? matchPrefixPatterns(req.pattern, m.path) : m.path === req.module,
      );
      for (const mod of targets) {
        const versions = req.version !== undefined ? [mod.versions.get(req.version)].filter((v) => v !== undefined) : [...mod.versions.values()];
        let files = 0;
        for (const v of versions) {
          files += v.files.length;
          freed += v.bytes;
          if (!dryRun) for (const f of v.files) await storage.delete(versionKey(mod.path, v.version, f));
          if (req.version !== undefined) removed.push({ module: mod.path, version: v.version, files: v.files.length });
        }
        if (req.version === undefined) {
          files += mod.otherKeys.length;
          if (!dryRun) for (const k of mod.otherKeys) await storage.delete(k);
          removed.push({ module: mod.path, files });
        }
        if (!dryRun && files > 0) await opts.onPurged?.(mod.path);
      }
      if (!dryRun) last = undefined;
      return { dryRun, removed, bytes: freed };
    },
    async pin(name, versions) {
      await storage.put(`${KEEP_PREFIX}${name.replace(/[^A-Za-z0-9._-]/g, '_')}.txt`, Buffer.from(`${versions.join('\n')}\n`));
    },
    async gc({ maxBytes, dryRun = false }) {
      const inv = await inventory.scan(true);
      const keep = new Set<string>();
      for await (const key of storage.list(KEEP_PREFIX)) {
        for (const line of ((await storage.get(key))?.toString('utf8') ?? '').split('\n')) if (line.trim()) keep.add(line.trim());
      }
      const all = [...inv.modules.values()].flatMap((m) => [...m.versions.values()].map((v) => ({ module: m.path, v })));
      let total = all.reduce((n, x) => n + x.v.bytes, 0);
      const totalBytes = total;
      const candidates = all
        .filter((x) => !keep.has(`${x.module}@${x.v.version}`) && now() - x.v.modified >= (opts.gcMinAgeMs ?? RECENT_WRITE_MS))
        .sort((a, b) => (a.v.lastAccess ?? a.v.modified) - (b.v.lastAccess ?? b.v.modified));
      const removed: GcResult['removed'] = [];
      for (const c of candidates) {
        if (total <= maxBytes) break;
        total -= c.v.bytes;
        removed.push({ module: c.module, version: c.v.version, bytes: c.v.bytes });
        if (!dryRun) {
          for (const f of c.v.files) await storage.delete(versionKey(c.module, c.v.version, f));
        }
      }
      if (!dryRun && removed.length > 0) {
        last = undefined;
        for (const path of new Set(removed.map((r) => r.module))) await opts.onPurged?.(path);
      }
      const keptPinned = all.filter((x) => keep.has(`${x.module}@${x.v.version}`)).length;
      return { dryRun, removed, freedBytes: removed.reduce((n, r) => n + r.bytes, 0), keptPinned, totalBytes };
    },
  };
  return inventory;
}

/** Versions of a cached module in semver order, newest first. */
/** Objects of an inventory by kind (info, mod, zip, ziphash, list, latest), for metrics. */
export function objectsByKind(inv: Inventory): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (kind: string) => (out[kind] = (out[kind] ?? 0) + 1);
  for (const m of inv.modules.values()) {
    for (const v of m.versions.values()) for (const f of v.files) add(f);
    for (const k of m.otherKeys) add(k.endsWith('/@latest') ? 'latest' : 'list');
  }
  return out;
}

export function versionsNewestFirst(mod: CachedModule): CachedVersion[] {
  return sortVersions([...mod.versions.keys()]).reverse().map((v) => mod.versions.get(v)!);
}

