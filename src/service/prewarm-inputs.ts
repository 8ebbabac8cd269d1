// What prewarm fetches for each kind of input: a go.sum (exactly the files whose hashes it holds),
// a go.mod (the go command's module graph: MVS with pruning, excludes, replacements), or a
// module@version (that version's .info, .mod and .zip). Inputs are text, never file names.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseGoMod, type GoModFile } from '../module/go-mod.js';
import { parseGoSum } from '../module/go-sum.js';
import { findReplacement, isPrunedGoVersion, loadModuleGraph, type ModSummary, type ModVersion } from '../module/mvs.js';
import { isCanonical } from '../module/version.js';
import type { Fetcher, FileKind } from './prewarm-fetcher.js';

export interface InputOutcome {
  /** Modules deliberately not fetched (local-directory replacements, excluded roots), with why. */
  readonly skipped: Array<{ readonly module: string; readonly reason: string }>;
  /** Inputs that could not be used at all, or graph nodes whose go.mod could not be read. */
  readonly errors: string[];
  /** How many modules the input named (go.sum lines' modules, build list size, 1). */
  readonly modules: number;
}

const ALL: readonly FileKind[] = ['info', 'mod', 'zip'];

async function getAll(fetcher: Fetcher, m: ModVersion, kinds: readonly FileKind[]): Promise<void> {
  await Promise.all(kinds.map((k) => fetcher.get(m.path, m.version, k)));
}

/**
 * From a go.sum: a `<path> <version>/go.mod` line means the go command reads that go.mod while
 * loading the module graph (modfetch.GoMod → the proxy's .mod); a `<path> <version>` line means it
 * downloads the zip (modfetch.Download → .zip) and, through `go mod download` / `go list -m`, the
 * .info and .mod. So: /go.mod lines → .mod; zip lines → .info, .mod and .zip.
 */
export async function prewarmGoSum(text: string, name: string, fetcher: Fetcher): Promise<InputOutcome> {
  const entries = parseGoSum(text, name);
  const jobs: Array<Promise<void>> = [];
  const modules = new Set<string>();
  for (const e of entries) {
    modules.add(`${e.path}@${e.version}`);
    jobs.push(getAll(fetcher, e, e.isGoMod ? ['mod'] : ALL));
  }
  await Promise.all(jobs);
  return { skipped: [], errors: [], modules: modules.size };
}

/** A module@version argument: its .info, .mod and .zip. */
export async function prewarmModule(arg: string, fetcher: Fetcher): Promise<InputOutcome> {
  const at = arg.lastIndexOf('@');
  const m = { path: arg.slice(0, at), version: arg.slice(at + 1) };
  if (at <= 0 || !isCanonical(m.version)) {
    return { skipped: [], errors: [`${arg}: expected module@version with a canonical semantic version (e.g. example.com/m@v1.2.3)`], modules: 0 };
  }
  await getAll(fetcher, m, ALL);
  return { skipped: [], errors: [], modules: 1 };
}

function summarize(f: GoModFile, excluded: ReadonlySet<string>): ModSummary {
  return {
    require: f.require.filter((r) => !excluded.has(`${r.path}@${r.version}`)).map((r) => ({ path: r.path, version: r.version })),
    pruned: isPrunedGoVersion(f.go),
  };
}

/**
 * From a main module's go.mod: walks the requirement graph as the go command does (see
 * loadModuleGraph), reading each needed go.mod through the proxy (.mod of the replacement when the
 * main go.mod replaces it; from disk for local-directory replacements), then fetches .info, .mod and
 * .zip of every module of the build list. Requirements on versions the main go.mod excludes are
 * dropped, as the go command drops them.
 */
export interface GoModInput {
  readonly text: string;
  /** Shown in parse errors (a file name, or what the text came from). */
  readonly name: string;
  /** The directory the go.mod is in, for local-directory replacements; absent = they cannot be read. */
  readonly dir?: string;
}

export async function prewarmGoMod(input: GoModInput, fetcher: Fetcher): Promise<InputOutcome> {
  const main = parseGoMod(input.text, { strict: true, fileName: input.name });
  const excluded = new Set(main.exclude.map((x) => `${x.path}@${x.version}`));
  const skipped: Array<{ module: string; reason: string }> = [];
  const roots: ModVersion[] = [];
  for (const r of main.require) {
    if (excluded.has(`${r.path}@${r.version}`)) skipped.push({ module: `${r.path}@${r.version}`, reason: 'required by the main go.mod but excluded there (the go command drops the requirement)' });
    else roots.push({ path: r.path, version: r.version });
  }
  const baseDir = input.dir;
  const load = async (m: ModVersion): Promise<ModSummary> => {
    const rep = findReplacement(main.replace, m);
    if (rep && rep.new.version === '') {
      if (baseDir === undefined) throw new Error(`replaced by local directory ${rep.new.path}, which cannot be read: the go.mod was given as text, not as a file`);
      const file = resolve(baseDir, rep.new.path, 'go.mod');
      return summarize(parseGoMod(await readFile(file, 'utf8'), { fileName: file }), excluded);
    }
    const actual = rep ? rep.new : m;
    const r = await fetcher.get(actual.path, actual.version, 'mod');
    if (r.status === 'failed' || !r.body) throw new Error(`${actual.path}@${actual.version}.mod: ${r.reason ?? 'no body'}`);
    return summarize(parseGoMod(r.body.toString('utf8'), { fileName: `${actual.path}@${actual.version}/go.mod` }), excluded);
  };
  const graph = await loadModuleGraph({ mainPath: main.module?.path ?? '', roots, pruned: isPrunedGoVersion(main.go), load });
  const errors = graph.failed.map((f) => `reading go.mod of ${f.module.path}@${f.module.version}: ${f.error instanceof Error ? f.error.message : String(f.error)}`);
  await Promise.all(
    graph.buildList.map(async (m) => {
      const rep = findReplacement(main.replace, m);
      if (rep && rep.new.version === '') {
        skipped.push({ module: `${m.path}@${m.version}`, reason: `replaced by local directory ${rep.new.path}` });
        return;
      }
      await getAll(fetcher, rep ? rep.new : m, ALL);
    }),
  );
  return { skipped, errors, modules: graph.buildList.length };
}
