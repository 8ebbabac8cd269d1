// `modgate doctor`'s look at the local module download cache (GOMODCACHE/cache/download): its total
// size and its oldest file, flagging a huge or long-uncleaned cache.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Finding } from './doctor-settings.js';

export interface CacheStats {
  readonly dir: string;
  readonly exists: boolean;
  readonly bytes: number;
  readonly files: number;
  /** ISO time of the oldest file's modification, if any file. */
  readonly oldest?: string;
}

/** Walks dir (no symlinks followed); a missing dir gives exists: false. */
export async function cacheStats(dir: string): Promise<CacheStats> {
  let bytes = 0;
  let files = 0;
  let oldest = Infinity;
  const walk = async (d: string): Promise<boolean> => {
    const names = await readdir(d, { withFileTypes: true }).catch(() => undefined);
    if (!names) return false;
    for (const n of names) {
      const p = join(d, n.name);
      if (n.isDirectory()) await walk(p);
      else if (n.isFile()) {
        const st = await stat(p).catch(() => undefined);
        if (!st) continue;
        bytes += st.size;
        files++;
        oldest = Math.min(oldest, st.mtimeMs);
      }
    }
    return true;
  };
  const exists = await walk(dir);
  return { dir, exists, bytes, files, ...(Number.isFinite(oldest) ? { oldest: new Date(oldest).toISOString() } : {}) };
}

export interface CacheLimits {
  readonly maxBytes: number;
  readonly maxAgeDays: number;
  readonly now: Date;
}

export function cacheFindings(s: CacheStats, limits: CacheLimits): Finding[] {
  const out: Finding[] = [];
  const gib = (n: number): string => `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (s.bytes > limits.maxBytes) {
    out.push({ id: 'modcache-huge', severity: 'warning', message: `the module cache ${s.dir} holds ${gib(s.bytes)} in ${s.files} files (limit ${gib(limits.maxBytes)})`, fix: 'go clean -modcache (a modgate proxy refills it quickly)' });
  }
  if (s.oldest !== undefined) {
    const days = (limits.now.getTime() - Date.parse(s.oldest)) / 86_400_000;
    if (days > limits.maxAgeDays) {
      out.push({ id: 'modcache-stale', severity: 'info', message: `the module cache ${s.dir} has files from ${s.oldest.slice(0, 10)} (${Math.floor(days)} days old): it is never cleaned`, fix: 'go clean -modcache now and then (e.g. in CI images)' });
    }
  }
  return out;
}
