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
  /**
   * The packages of a stored zip and their imports: with it, the zips below a zip are those of the
   * modules its reached packages import (not every direct requirement: test-only and optional
   * ones are left out). Undefined (or a failure) falls back to the direct requirements.
   */
  readonly packages?: (path: string, version: string) => Promise<ModulePackages | undefined>;
  readonly onOutcome?: (o: PrefetchOutcome) => void;
}

/** A module zip's packages (import paths) and, on demand, what each imports. */
export interface ModulePackages {
  readonly packages: ReadonlySet<string>;
  imports(pkg: string): Promise<string[]>;
  close(): void;
}

export interface Prefetcher {
  /** Schedules the requirements of a go.mod that was just fetched, `depthLeft` levels down. */
  afterModFetched(goMod: Buffer, depthLeft: number): void;
  /** Schedules the .info and zip of path@version, whose .mod a client asked for (with modZips). */
  afterModAsked(path: string, version: string): void;
  /**
   * Notes that a client asked for path@version's zip (before its fill): lower versions are not
   * prefetched, and no guessed zip prefetch starts until every such request got its answer (zipAnswered).
   */
  zipAsked(path: string, version: string): void;
  /** A client's zip request (zipAsked) got its answer or failed. */
  zipAnswered(): void;
  /** Zip prefetches waiting for clients' zip requests to be answered. */
  readonly waitingForClients: number;
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
  /** Runs one fetch and counts its outcome; false when it failed. */
  const counted = async (run: () => Promise<boolean>): Promise<boolean> => {
    try {
      const fetched = await run(); // not inside the optional call: it must run without onOutcome too
      opts.onOutcome?.(fetched ? 'fetched' : 'hit');
      return true;
    } catch {
      opts.onOutcome?.('error');
      return false;
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

  // Packages of each module path known to be built: imported by a reached package of another
  // module. A module's zip is followed from these (or, when none is known, from its root package).
  const neededPkgs = new LRUCache<string, Set<string>>(entryBound(REMEMBERED));
  // path@version whose zip could not be read (not stored): followed once, by its direct requirements.
  const unreadable = new LRUCache<string, true>(entryBound(REMEMBERED));
  // Packages of each path@version whose imports were already followed.
  const explored = new LRUCache<string, Set<string>>(entryBound(REMEMBERED));
  const addNeeded = (path: string, pkgs: Iterable<string>): boolean => {
    const set = neededPkgs.get(path) ?? new Set<string>();
    const before = set.size;
    for (const p of pkgs) set.add(p);
    neededPkgs.set(path, set);
    return set.size > before;
  };
  const inModule = (pkg: string, path: string): boolean => pkg === path || pkg.startsWith(`${path}/`);

  /**
   * The modules (among reqs) that the reached packages of path's zip import, with the packages
   * imported: from the packages known to be needed (else the root package, else all), through the
   * module's own imports. Undefined when the zip's packages cannot be read.
   */
  const importedModules = async (path: string, version: string, reqs: ReadonlyArray<{ path: string }>): Promise<Map<string, Set<string>> | undefined> => {
    let z: ModulePackages | undefined;
    try {
      z = await opts.packages?.(path, version);
    } catch {
      z = undefined;
    }
    if (z === undefined) {
      unreadable.set(`${path}@${version}`, true);
      return undefined;
    }
    try {
      const done = explored.get(`${path}@${version}`) ?? new Set<string>();
      explored.set(`${path}@${version}`, done);
      let start = [...(neededPkgs.get(path) ?? [])].filter((p) => z.packages.has(p));
      if (start.length === 0 && done.size === 0) start = z.packages.has(path) ? [path] : [...z.packages];
      const queue = start.filter((p) => !done.has(p));
      for (const p of queue) done.add(p);
      const byModule = new Map<string, Set<string>>();
      // Longest module path first: a nested module's packages are its own, not its parent's.
      const mods = reqs.map((r) => r.path).sort((a, b) => b.length - a.length);
      while (queue.length > 0) {
        const pkg = queue.shift()!;
        for (const imp of await z.imports(pkg)) {
          const dep = mods.find((m) => inModule(imp, m));
          if (dep === undefined) {
            if (inModule(imp, path) && z.packages.has(imp) && !done.has(imp)) {
              done.add(imp);
              queue.push(imp);
            }
            continue; // the standard library, or a path no requirement provides
          }
          const set = byModule.get(dep) ?? new Set<string>();
          set.add(imp);
          byModule.set(dep, set);
        }
      }
      return byModule;
    } finally {
      z.close();
    }
  };

  /** Whether path@version has packages not followed yet (or was never followed). */
  const newToExplore = (path: string, version: string): boolean => {
    if (unreadable.has(`${path}@${version}`)) return false; // followed once through its direct requirements
    const done = explored.get(`${path}@${version}`);
    if (done === undefined) return true;
    for (const p of neededPkgs.get(path) ?? []) if (!done.has(p)) return true;
    return false;
  };

  /** Zips of the requirements of path@version, `depthLeft` levels down. */
  const zipsBelow = (path: string, version: string, depthLeft: number): void => {
    const goMod = opts.goMod;
    if (depthLeft <= 0 || goMod === undefined) return;
    // Without package reading each version is followed once; with it, again when a newly needed
    // package of it is known (its imports may reach modules the first packages did not).
    if (opts.packages === undefined ? !once(`reqzips ${path}@${version}`) : !newToExplore(path, version)) return;
    void small(async () => {
      let reqs;
      try {
        reqs = requirements(await goMod(path, version));
      } catch {
        return; // the client's own request reports the failure
      }
      noteRequired(reqs);
      // Every module it lists directly already has a zip asked for or scheduled (`go mod download`
      // asks for them all): reading its packages would find nothing to start.
      if (opts.packages !== undefined && reqs.every((r) => r.indirect || highest.has(r.path))) return;
      const imported = await importedModules(path, version, reqs);
      if (imported === undefined) {
        // Direct requirements: the modules this one's packages import (tests included). A go ≥ 1.17
        // go.mod also lists its whole pruned build list as "// indirect", most of which a build never opens.
        // Each at the highest version any go.mod seen so far requires (what MVS selects at least).
        for (const r of reqs) if (!r.indirect) enqueueZip(r.path, requiredVersion(r.path, r.version), depthLeft - 1, true);
        return;
      }
      for (const r of reqs) {
        const pkgs = imported.get(r.path);
        if (pkgs === undefined) continue;
        const grew = addNeeded(r.path, pkgs);
        const v = requiredVersion(r.path, r.version);
        if (!enqueueZip(r.path, v, depthLeft - 1, true) && grew && filledZips.has(`${r.path}@${v}`)) zipsBelow(r.path, v, depthLeft - 1);
      }
    });
  };

  // Highest version of each module path that a go.mod seen here requires: the build list (minimal
  // version selection) holds at least that version, so a requirement's zip is prefetched at it
  // rather than at the (often lower) version one go.mod lists.
  const required = new LRUCache<string, string>(entryBound(REMEMBERED));
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
  const guessedPaths = new LRUCache<string, true>(entryBound(REMEMBERED));
  // Client zip requests not answered yet: a client waiting on a fill gets the CPU (zip checks are
  // the costly part of a fill) before any guessed zip (below a zip) starts; those run while the go
  // command unpacks what it got.
  let clientZips = 0;
  const waiters: Array<() => void> = [];
  const clientsServed = async (): Promise<void> => {
    while (clientZips > 0) await new Promise<void>((resolve) => waiters.push(resolve));
  };

  // path@version of zips prefetched here (their packages can be read).
  const filledZips = new LRUCache<string, true>(entryBound(REMEMBERED));
  /** Schedules a zip; false when it was already scheduled, superseded, or another version was guessed. */
  const enqueueZip = (path: string, version: string, depthLeft: number, guess = false): boolean => {
    if (guess && guessedPaths.has(path)) return false;
    if (supersededBy(path, version) || !once(`zip ${path}@${version}`)) return false;
    if (guess) guessedPaths.set(path, true);
    void zips(async () => {
      // Guesses wait for the clients; zips of versions a client named (its .mod, a list's latest)
      // are about to be asked for and run at once.
      if (guess) await clientsServed();
      // A client asked for (or a prefetch chose) a higher version while this one waited its turn.
      if (highest.get(path) !== version) return;
      if (!(await counted(() => opts.fetch('zip', path, version, depthLeft)))) return;
      filledZips.set(`${path}@${version}`, true);
      zipsBelow(path, version, depthLeft);
    });
    return true;
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
    zipAsked(path, version) {
      supersededBy(path, version);
      clientZips++;
    },
    zipAnswered() {
      clientZips = Math.max(0, clientZips - 1);
      if (clientZips === 0) for (const w of waiters.splice(0)) w();
    },
    get waitingForClients() {
      return waiters.length;
    },
    afterZipAsked(path, version) {
      supersededBy(path, version);
      filledZips.set(`${path}@${version}`, true);
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
      clientZips = 0;
      for (const w of waiters.splice(0)) w();
    },
  };
}
