// Prefetch: work the go command is about to ask for, started ahead of it through the same cache
// fill (single-flight, integrity gate, private routing), a bounded number at a time and a bounded
// depth down the requirement graph:
// - after a .mod was fetched for a client: the .mod (and .info) of its requirements (the graph
//   walk; a .mod fetched as part of a zip fill starts none: a client that asks for zips before
//   .mod files has a complete go.mod and go.sum and asks for no other .mod before its zips);
// - after a client asked for a zip: the zips of that version's direct requirements (a build's next
//   downloads: the go command downloads zips one import at a time, after unpacking the last), each
//   at the highest version a go.mod seen here requires (the build list holds at least that one);
// - when a client asks for a .mod (prefetch.modZips): that version's .info and zip (a build asks
//   for the zip of each module it imports after the module's .mod; a go.mod's `// indirect`
//   requirements are asked for too, so some of these zips are never used: counted as not used);
// - after a @v/list was fetched for a client: the .info, .mod and zip of the version the go
//   command's "latest" query picks from it (`go get`/`go mod tidy` resolving an import).
import { parseGoMod } from '../module/go-mod.js';
import { checkVersion, isCanonical } from '../module/version.js';
import { build, compare, isPrerelease, isValid } from '../module/semver.js';
import { LRUCache } from 'lru-cache';
import { entryBound } from './lru-bound.js';
import pLimit from 'p-limit';

export type PrefetchOutcome = 'fetched' | 'hit' | 'used' | 'error';
export type PrefetchKind = 'mod' | 'info' | 'zip';

export interface PrefetcherOptions {
  /** Small files (.mod/.info) fetched at once. */
  readonly concurrency: number;
  /** Levels of requirements whose .mod is prefetched below a fetched .mod. */
  readonly depth: number;
  /** Levels of requirements whose zip is prefetched below a zip a client asked for (0: none). */
  readonly zipDepth?: number;
  /** When a client asks for a version's .mod, also fetch its .info and zip (default false). */
  readonly modZips?: boolean;
  /** Zips fetched at once (they cost download, checking and CPU; default 4). */
  readonly zipConcurrency?: number;
  /** Fetches one file for prefetch; resolves with whether it came from the upstream (a miss). */
  readonly fetch: (kind: PrefetchKind, path: string, version: string, depthLeft: number) => Promise<boolean>;
  /** The go.mod of a version (through the cache), to find the requirements of a zip. */
  readonly goMod?: (path: string, version: string) => Promise<Buffer>;
  readonly onOutcome?: (o: PrefetchOutcome) => void;
}

export interface Prefetcher {
  /** Schedules the requirements of a go.mod that was just fetched, `depthLeft` levels down. */
  afterModFetched(goMod: Buffer, depthLeft: number): void;
  /** Schedules the .info and zip of path@version, whose .mod a client asked for (with modZips). */
  afterModAsked(path: string, version: string): void;
  /** Schedules the zips of the requirements of path@version, whose zip a client asked for. */
  afterZipAsked(path: string, version: string): void;
  /** Schedules the .info/.mod/zip of the version a "latest" query would pick from a fetched list. */
  afterListFetched(path: string, list: Buffer): void;
  /** Tells the prefetcher a client asked for a key: counts a prefetch that was used. */
  clientAsked(key: string): void;
  /** Marks a key as filled by prefetch. */
  markPrefetched(key: string): void;
  readonly pending: number;
  /** Drops queued work (shutdown). */
  clear(): void;
}

/**
 * The version the go command's "latest" query picks from a @v/list body: the highest release,
 * else the highest pre-release (+incompatible ones only when nothing else is listed); retractions
 * are not known here (a wrong guess only costs a prefetch).
 */
export function latestFromList(list: Buffer | string): string | undefined {
  const versions = list.toString().split('\n').map((l) => l.trim()).filter((v) => v !== '' && isValid(v) && isCanonical(v));
  const pick = (ok: (v: string) => boolean): string | undefined =>
    versions.filter(ok).reduce<string | undefined>((best, v) => (best === undefined || compare(v, best) > 0 ? v : best), undefined);
  const compatible = (v: string): boolean => build(v) !== '+incompatible';
  return pick((v) => compatible(v) && !isPrerelease(v)) ?? pick((v) => compatible(v)) ?? pick((v) => !isPrerelease(v)) ?? pick(() => true);
}

/** Keys each of the prefetcher's memories holds (least recently used dropped first). */
const REMEMBERED = 10_000;

export function createPrefetcher(opts: PrefetcherOptions): Prefetcher {
  const small = pLimit(Math.max(1, opts.concurrency));
  const zips = pLimit(Math.max(1, opts.zipConcurrency ?? 4));
  const zipDepth = opts.zipDepth ?? 0;
  // A few builds' worth of files is enough to tell what was already scheduled or prefetched.
  const scheduled = new LRUCache<string, true>(entryBound(REMEMBERED));
  const filled = new LRUCache<string, true>(entryBound(REMEMBERED));

  const once = (id: string): boolean => {
    if (scheduled.has(id)) return false;
    scheduled.set(id, true);
    return true;
  };
  const counted = async (run: () => Promise<boolean>): Promise<void> => {
    try {
      const fetched = await run(); // not inside the optional call: it must run without onOutcome too
      opts.onOutcome?.(fetched ? 'fetched' : 'hit');
    } catch {
      opts.onOutcome?.('error');
    }
  };

  const enqueue = (kind: 'mod' | 'info', path: string, version: string, depthLeft: number): void => {
    if (!once(`${kind} ${path}@${version}`)) return;
    void small(() => counted(() => opts.fetch(kind, path, version, depthLeft)));
  };

  /** The canonical, valid requirements of a go.mod (none if it does not parse). */
  const requirements = (goMod: Buffer): Array<{ path: string; version: string; indirect: boolean }> => {
    let requires;
    try {
      requires = parseGoMod(goMod.toString('utf8')).require;
    } catch {
      return []; // an unparsable go.mod: the client will see it; nothing to prefetch
    }
    return requires.filter((r) => {
      if (!isCanonical(r.version)) return false;
      try {
        checkVersion(r.path, r.version);
        return true;
      } catch {
        return false;
      }
    });
  };

  /** Zips of the requirements of path@version, `depthLeft` levels down. */
  const zipsBelow = (path: string, version: string, depthLeft: number): void => {
    const goMod = opts.goMod;
    if (depthLeft <= 0 || goMod === undefined || !once(`reqzips ${path}@${version}`)) return;
    void small(async () => {
      let reqs;
      try {
        reqs = requirements(await goMod(path, version));
      } catch {
        return; // the client's own request reports the failure
      }
      noteRequired(reqs);
      // Direct requirements only: the modules this one's packages import. A go ≥ 1.17 go.mod
      // also lists its whole pruned build list as "// indirect", most of which a build never opens.
      // Each at the highest version any go.mod seen so far requires (what MVS selects at least).
      for (const r of reqs) if (!r.indirect) enqueueZip(r.path, requiredVersion(r.path, r.version), depthLeft - 1, true);
    });
  };

  // Highest version of each module path that a go.mod seen here requires: the build list (minimal
  // version selection) holds at least that version, so a requirement's zip is prefetched at it
  // rather than at the (often lower) version one go.mod lists.
  const required = new LRUCache<string, string>({ max: REMEMBERED });
  const noteRequired = (reqs: ReadonlyArray<{ path: string; version: string }>): void => {
    for (const r of reqs) {
      const h = required.get(r.path);
      if (h === undefined || compare(r.version, h) > 0) required.set(r.path, r.version);
    }
  };
  const requiredVersion = (path: string, version: string): string => {
    const h = required.get(path);
    return h !== undefined && compare(h, version) > 0 ? h : version;
  };

  // Highest version of each module path whose zip was asked for or scheduled: the build list holds
  // one version per path (the highest required), so a lower one is most likely never downloaded.
  const highest = new LRUCache<string, string>(entryBound(REMEMBERED));
  const supersededBy = (path: string, version: string): boolean => {
    const h = highest.get(path);
    if (h !== undefined && compare(h, version) >= 0) return h !== version;
    highest.set(path, version);
    return false;
  };

  // Module paths with a requirement's zip prefetch scheduled (zips below zips): one guessed version
  // per path (the build list holds one; a guess that was too low leaves the right one to the
  // client's own request). Zips of versions a client named (its .mod, a list's latest) are not limited.
  const guessedPaths = new LRUCache<string, true>({ max: REMEMBERED });
  const enqueueZip = (path: string, version: string, depthLeft: number, guess = false): void => {
    if (guess && guessedPaths.has(path)) return;
    if (supersededBy(path, version) || !once(`zip ${path}@${version}`)) return;
    if (guess) guessedPaths.set(path, true);
    void zips(async () => {
      // A client asked for (or a prefetch chose) a higher version while this one waited its turn.
      if (highest.get(path) !== version) return;
      await counted(() => opts.fetch('zip', path, version, depthLeft));
      zipsBelow(path, version, depthLeft);
    });
  };

  return {
    afterModFetched(goMod, depthLeft) {
      const reqs = requirements(goMod);
      noteRequired(reqs);
      if (depthLeft <= 0) return;
      for (const r of reqs) {
        enqueue('mod', r.path, r.version, depthLeft - 1);
        if (depthLeft === opts.depth) enqueue('info', r.path, r.version, 0);
      }
    },
    afterModAsked(path, version) {
      if (opts.modZips !== true) return;
      enqueue('info', path, version, 0);
      enqueueZip(path, version, 0);
    },
    afterZipAsked(path, version) {
      supersededBy(path, version);
      zipsBelow(path, version, zipDepth);
    },
    afterListFetched(path, list) {
      const v = latestFromList(list);
      if (v === undefined) return;
      try {
        checkVersion(path, v);
      } catch {
        return;
      }
      enqueue('info', path, v, 0);
      enqueue('mod', path, v, opts.depth);
      if (zipDepth > 0) enqueueZip(path, v, zipDepth);
    },
    clientAsked(key) {
      if (filled.has(key)) {
        filled.delete(key);
        opts.onOutcome?.('used');
      }
    },
    markPrefetched(key) {
      filled.set(key, true);
    },
    get pending() {
      return small.pendingCount + small.activeCount + zips.pendingCount + zips.activeCount;
    },
    clear() {
      small.clearQueue();
      zips.clearQueue();
    },
  };
}
