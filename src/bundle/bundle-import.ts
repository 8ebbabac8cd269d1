// `modgate import`'s core: stages a bundle, verifies it with no network (sizes and sha256 against
// the manifest, every .mod/.zip h1 against its checksum-database record, every record's inclusion
// in the bundle's signed tree, the tree's signature and its consistency with the importer's known
// tree), and only then commits it to storage. Any problem refuses the whole bundle; a bundle whose
// every file is already stored changes nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ModgateError } from '../errors/modgate-error.js';
import type { Storage } from '../storage/storage.js';
import { versionKey } from '../cache/cache-keys.js';
import { checkInfo } from '../cache/integrity-gate.js';
import { escapePath, escapeVersion } from '../module/escape.js';
import { hashGoMod } from '../zip/dirhash.js';
import { checkModuleZip } from '../zip/zip-check.js';
import { entryName, keyOfEntry, sumdbKeyPrefix, type BundleManifest } from './bundle-manifest.js';
import { readStaged, stageBundle, type StagedBundle, type StagedEntry } from './bundle-reader.js';
import { verifyProofs, type Problem, type ProofResult } from './bundle-proofs.js';
import { commitPlan, type CommitItem, type CommitResult } from './bundle-commit.js';

export interface ImportDatabase {
  readonly name: string;
  readonly vkey: string;
}

export interface ImportOptions {
  readonly input: Readable;
  readonly storage: Storage;
  /** The checksum databases the importer trusts (its --sumdb). */
  readonly databases: readonly ImportDatabase[];
  /** Local directory for staging (removed afterwards). */
  readonly tempDir: string;
  readonly onProgress?: (p: ImportProgress) => void;
  /** Called once the whole input has been read (staged), before verification. */
  readonly onStaged?: () => void;
}

export type ImportProgress =
  | { readonly phase: 'read'; readonly files: number; readonly bytes: number }
  | { readonly phase: 'verify'; readonly done: number; readonly total: number; readonly file: string }
  | { readonly phase: 'commit'; readonly done: number; readonly total: number; readonly file: string };

export interface ImportReport {
  /** imported: something was stored; unchanged: everything was already there; refused: nothing stored. */
  readonly status: 'imported' | 'unchanged' | 'refused';
  readonly problems: readonly Problem[];
  readonly modules: number;
  readonly files: number;
  readonly bytes: number;
  readonly written: number;
  readonly writtenBytes: number;
  readonly unchanged: number;
  readonly sumdb: ReadonlyArray<{ readonly name: string; readonly size: number; readonly newer: boolean }>;
  /** Module paths whose files changed (callers forget cached answers for them). */
  readonly changedModules: readonly string[];
}

/** Imports a bundle stream; resolves with the report (a refusal is a report, not a throw). */
export async function importBundle(opts: ImportOptions): Promise<ImportReport> {
  if (opts.databases.length === 0) {
    throw new ModgateError('CONFIG_INVALID', 'import needs a checksum database to verify against (--sumdb), not --sumdb off');
  }
  const dir = await mkdtemp(join(opts.tempDir, 'import-'));
  try {
    let files = 0;
    let read = 0;
    const staged = await stageBundle(opts.input, dir, (e) => {
      read += e.size;
      opts.onProgress?.({ phase: 'read', files: ++files, bytes: read });
    });
    opts.onStaged?.();
    const checked = await verifyStaged(staged, opts);
    const base = {
      modules: staged.manifest.modules.length,
      files: staged.entries.size,
      bytes: staged.bytes,
      sumdb: checked.proofs.map((p) => ({ name: p.name, size: p.result.tree?.n ?? 0, newer: p.result.newer })),
    };
    if (checked.problems.length > 0) {
      return { status: 'refused', problems: checked.problems, ...base, written: 0, writtenBytes: 0, unchanged: 0, changedModules: [] };
    }
    const result: CommitResult = await commitPlan(opts.storage, checked.plan, (done, total, file) => opts.onProgress?.({ phase: 'commit', done, total, file }));
    return { status: result.written > 0 ? 'imported' : 'unchanged', problems: [], ...base, ...result };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface Checked {
  readonly problems: Problem[];
  readonly plan: CommitItem[];
  readonly proofs: Array<{ name: string; result: ProofResult }>;
}

async function verifyStaged(staged: StagedBundle, opts: ImportOptions): Promise<Checked> {
  const { manifest, entries } = staged;
  const problems: Problem[] = [];
  checkManifestFiles(manifest, entries, problems);

  // Proofs, per database the bundle carries.
  const proofs: Array<{ name: string; result: ProofResult }> = [];
  const hashes = new Map<string, string>();
  const trusted = new Map(opts.databases.map((d) => [d.name, d]));
  for (const tree of manifest.sumdb) {
    const db = trusted.get(tree.name);
    if (!db) {
      problems.push({ file: `sumdb/${tree.name}/latest`, reason: `the bundle is proven against checksum database ${tree.name}, which this server does not verify against (its --sumdb: ${[...trusted.keys()].join(', ')})` });
      continue;
    }
    const prefix = sumdbKeyPrefix(tree.name);
    const lookups = [...entries.keys()].map((n) => keyOfEntry(n)!).filter((k) => k.startsWith(`${prefix}lookup/`)).map((k) => k.slice(prefix.length));
    const result = await verifyProofs({
      tree,
      vkey: db.vkey,
      lookups,
      bundled: async (key) => {
        const e = entries.get(entryName(prefix + key));
        return e ? readStaged(e) : undefined;
      },
      stored: (key) => opts.storage.get(prefix + key),
    });
    problems.push(...result.problems);
    for (const r of result.records) for (const [k, h1] of r.lines) hashes.set(k, h1);
    proofs.push({ name: tree.name, result });
  }
  if (manifest.sumdb.length === 0) problems.push({ file: 'manifest.json', reason: 'the bundle carries no checksum-database proof' });

  const plan: CommitItem[] = [];
  const total = manifest.modules.length;
  let done = 0;
  for (const m of manifest.modules) {
    opts.onProgress?.({ phase: 'verify', done: done++, total, file: `${m.path}@${m.version}` });
    plan.push(...(await checkModule(m, entries, hashes, problems)));
  }
  for (const p of proofs) {
    const prefix = sumdbKeyPrefix(p.name);
    for (const t of p.result.tiles) {
      const e = entries.get(entryName(prefix + t));
      if (e) plan.push({ key: prefix + t, entry: e, kind: 'small' });
    }
    for (const r of p.result.records) plan.push({ key: prefix + r.key, entry: entries.get(entryName(prefix + r.key))!, kind: 'keep-existing' });
    if (p.result.newer && p.result.tree) plan.push({ key: `${prefix}latest`, data: p.result.noteBytes, kind: 'latest', expected: p.result.known });
  }
  return { problems, plan, proofs };
}

/** Every manifest file is in the bundle with its size and sha256, and nothing else is. */
function checkManifestFiles(manifest: BundleManifest, entries: ReadonlyMap<string, StagedEntry>, problems: Problem[]): void {
  const listed = new Set<string>();
  for (const f of manifest.files) {
    listed.add(f.name);
    const e = entries.get(f.name);
    if (!e) problems.push({ file: f.name, reason: 'listed in the manifest but missing from the bundle' });
    else if (e.size !== f.size || e.sha256 !== f.sha256) {
      problems.push({ file: f.name, reason: 'content differs from the manifest', expected: `sha256:${f.sha256} (${f.size} bytes)`, actual: `sha256:${e.sha256} (${e.size} bytes)` });
    }
  }
  for (const name of entries.keys()) if (!listed.has(name)) problems.push({ file: name, reason: 'in the bundle but not listed in the manifest' });
}

/** Checks one module version's files against its verified record; returns what to store. */
async function checkModule(m: BundleManifest['modules'][number], entries: ReadonlyMap<string, StagedEntry>, hashes: ReadonlyMap<string, string>, problems: Problem[]): Promise<CommitItem[]> {
  const items: CommitItem[] = [];
  const id = `${m.path}@${m.version}`;
  let keys: Record<'info' | 'mod' | 'zip', string>;
  try {
    keys = { info: versionKey(m.path, m.version, 'info'), mod: versionKey(m.path, m.version, 'mod'), zip: versionKey(m.path, m.version, 'zip') };
  } catch (err) {
    problems.push({ file: id, reason: `invalid module path or version: ${(err as Error).message}` });
    return items;
  }
  for (const kind of m.files) {
    const name = entryName(keys[kind]);
    const e = entries.get(name);
    if (!e) {
      problems.push({ file: name, reason: `${id}: .${kind} missing from the bundle` });
      continue;
    }
    if (kind === 'info') {
      try {
        checkInfo({ path: m.path, version: m.version, source: 'bundle', query: false }, await readStaged(e));
      } catch (err) {
        problems.push({ file: name, reason: (err as Error).message });
        continue;
      }
      items.push({ key: keys.info, entry: e, kind: 'small' });
      continue;
    }
    const want = hashes.get(`${m.path} ${m.version}${kind === 'mod' ? '/go.mod' : ''}`);
    if (want === undefined) {
      problems.push({ file: name, reason: `${id}: no checksum-database record in the bundle vouches for this .${kind}` });
      continue;
    }
    let got: string;
    try {
      got = kind === 'mod' ? hashGoMod(await readStaged(e)) : (await checkModuleZip(e.localPath, { path: m.path, version: m.version })).h1;
    } catch (err) {
      problems.push({ file: name, reason: `${id}: invalid .${kind}: ${(err as Error).message}`, expected: want });
      continue;
    }
    if (got !== want) {
      problems.push({ file: name, reason: `${id}: .${kind} does not match the checksum database record`, expected: want, actual: got });
      continue;
    }
    items.push(kind === 'mod' ? { key: keys.mod, entry: e, kind: 'small' } : { key: keys.zip, entry: e, kind: 'zip', h1: got });
  }
  return items;
}

/** The storage key of a module's lookup record in a database. */
export function lookupKey(db: string, path: string, version: string): string {
  return `${sumdbKeyPrefix(db)}lookup/${escapePath(path)}@${escapeVersion(version)}`;
}
