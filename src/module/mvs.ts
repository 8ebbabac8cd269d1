// Minimal version selection over a module requirement graph, with the go command's graph pruning
// (Go ≥ 1.17 go.mod files): which go.mod files the go command reads and which versions it selects.
// Loading a go.mod is the caller's job (load()), so this file stays free of I/O.

import type { GoModReplace } from './go-mod.js';
import { compare } from './semver.js';

export interface ModVersion {
  readonly path: string;
  readonly version: string;
}

/** What the graph needs from one go.mod: its requirements (excluded ones already dropped) and pruning. */
export interface ModSummary {
  readonly require: readonly ModVersion[];
  /** True when the go.mod declares go ≥ 1.17 (see isPrunedGoVersion). */
  readonly pruned: boolean;
}

export interface LoadModuleGraphOptions {
  /** The main module's path: its own version is always selected, so requirements on it never are. */
  readonly mainPath: string;
  /** The main module's requirements (excluded versions already dropped). */
  readonly roots: readonly ModVersion[];
  /** The main module's pruning (isPrunedGoVersion of its go directive). */
  readonly pruned: boolean;
  /**
   * Loads the go.mod summary of m (after replacements). A rejection marks m as failed; the walk
   * goes on without m's requirements, as the go command's graph does before reporting the error.
   */
  readonly load: (m: ModVersion) => Promise<ModSummary>;
}

export interface ModuleGraph {
  /** Selected version of every module path in the graph but the main module, sorted by path. */
  readonly buildList: readonly ModVersion[];
  /** Every module version whose go.mod was read (or attempted), sorted by path then version. */
  readonly loaded: readonly ModVersion[];
  /** Module versions whose load() failed, with the reason. */
  readonly failed: ReadonlyArray<{ readonly module: ModVersion; readonly error: unknown }>;
}

const key = (m: ModVersion): string => `${m.path}@${m.version}`;

/**
 * Go's pruningForGoVersion: a go.mod with a go directive ≥ 1.17 lists every module providing
 * packages its own packages import, so its dependencies' go.mod files need not be read. A missing
 * go directive means unpruned (Go ≤ 1.16 semantics).
 */
export function isPrunedGoVersion(go: string | undefined): boolean {
  if (go === undefined || go === '') return false;
  const m = /^(\d+)\.(\d+)/.exec(go);
  if (!m) return false;
  return compare(`v${m[1]}.${m[2]}.0`, 'v1.17.0') >= 0;
}

/**
 * The replacement the main go.mod gives for m, as the go command picks it: an exact path@version
 * replacement first, then a replacement of every version of the path. A replacement whose new
 * side has no version is a local directory (new.path is the directory).
 */
export function findReplacement(replace: readonly GoModReplace[], m: ModVersion): GoModReplace | undefined {
  return replace.find((r) => r.old.path === m.path && r.old.version === m.version) ?? replace.find((r) => r.old.path === m.path && r.old.version === '');
}

/**
 * Walks the requirement graph like the go command's readModGraph (Go 1.17–1.19): every root's
 * go.mod is read. For a pruned main module, a pruned root's requirements count for selection but
 * their go.mod files are not read; an unpruned root's requirements are read transitively, and
 * everything below an unpruned module is read unpruned. For an unpruned main module, everything
 * reachable is read. The selected version of a path is the highest version any read go.mod (or
 * the main module) requires — minimal version selection.
 */
export async function loadModuleGraph(opts: LoadModuleGraphOptions): Promise<ModuleGraph> {
  const selected = new Map<string, string>();
  const note = (m: ModVersion): void => {
    if (m.path === opts.mainPath || m.version === 'none') return;
    const cur = selected.get(m.path);
    if (cur === undefined || compare(cur, m.version) < 0) selected.set(m.path, m.version);
  };
  const summaries = new Map<string, Promise<ModSummary | undefined>>();
  const loaded = new Map<string, ModVersion>();
  const failed: Array<{ module: ModVersion; error: unknown }> = [];
  const loadOnce = (m: ModVersion): Promise<ModSummary | undefined> => {
    let p = summaries.get(key(m));
    if (!p) {
      loaded.set(key(m), m);
      p = opts.load(m).then(
        (s) => {
          for (const r of s.require) note(r);
          return s;
        },
        (error: unknown) => {
          failed.push({ module: m, error });
          return undefined;
        },
      );
      summaries.set(key(m), p);
    }
    return p;
  };
  const unprunedSeen = new Set<string>();
  const enqueue = async (m: ModVersion, pruned: boolean): Promise<void> => {
    if (m.version === 'none') return;
    if (!pruned) {
      if (unprunedSeen.has(key(m))) return;
      unprunedSeen.add(key(m));
    }
    const s = await loadOnce(m);
    if (!s) return;
    // Requirements are followed only from an unpruned walk or an unpruned go.mod, and everything
    // below that point is read unpruned (transitively).
    if (!pruned || !s.pruned) await Promise.all(s.require.map((r) => enqueue(r, false)));
  };
  for (const r of opts.roots) note(r);
  await Promise.all(opts.roots.map((r) => enqueue(r, opts.pruned)));
  const byPathVersion = (a: ModVersion, b: ModVersion): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : compare(a.version, b.version));
  return {
    buildList: [...selected].map(([path, version]) => ({ path, version })).sort(byPathVersion),
    loaded: [...loaded.values()].sort(byPathVersion),
    failed,
  };
}
