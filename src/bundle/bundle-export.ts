// `modgate export`'s core: walks the inputs, fetches each version's files and checksum-database
// records, proves every record against ONE signed tree head per database (tiles included; for an
// incremental export also the tree's consistency with the older tree named by --since), checks
// every .mod/.zip against its record, and writes the bundle. Nothing unverified is ever bundled.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ModgateError, isNotFound } from '../errors/modgate-error.js';
import { versionKey } from '../cache/cache-keys.js';
import { escapePath, escapeVersion } from '../module/escape.js';
import { openNote, parseVerifierKey } from '../sumdb/note.js';
import { formatRecord, parseRecord, parseTree } from '../sumdb/tlog-note.js';
import { type Tree, proveTree, recordHash, storedHashIndex, treeHash } from '../sumdb/tlog.js';
import { type TileReader, tileHashReader, tilePath } from '../sumdb/tlog-tile.js';
import { hashGoMod } from '../zip/dirhash.js';
import { checkModuleZip } from '../zip/zip-check.js';
import { BUNDLE_FORMAT, MANIFEST_NAME, entryName, sumdbKeyPrefix, type BundleFile, type BundleManifest, type BundleModule, type BundleTree } from './bundle-manifest.js';
import { createBundleWriter } from './bundle-writer.js';
import type { ExportSource } from './export-source.js';
import { walkInputs, type ExportInput, type WalkedVersion } from './export-walk.js';

export interface ExportDatabase {
  readonly name: string;
  readonly vkey: string;
}

export interface ExportOptions {
  readonly inputs: readonly ExportInput[];
  readonly source: ExportSource;
  /** Databases to prove against (the public one, and modgate's own when it runs one). */
  readonly databases: readonly ExportDatabase[];
  readonly out: string;
  readonly tempDir: string;
  /** What the other side already has: only what is missing is written, proven consistent with its trees. */
  readonly since?: BundleManifest | undefined;
  readonly concurrency?: number;
  readonly onProgress?: (p: { readonly phase: 'fetch' | 'prove' | 'write'; readonly done: number; readonly total: number; readonly file: string }) => void;
}

export interface ExportReport {
  readonly ok: boolean;
  readonly out: string | undefined;
  readonly errors: readonly string[];
  readonly skipped: ReadonlyArray<{ readonly module: string; readonly reason: string }>;
  readonly modules: number;
  readonly files: number;
  /** Uncompressed bytes of the files. */
  readonly bytes: number;
  readonly bundleBytes: number;
  readonly zips: number;
  readonly records: number;
  readonly tiles: number;
  /** Versions left out because the --since manifest already has them. */
  readonly alreadyThere: number;
  readonly sumdb: ReadonlyArray<{ readonly name: string; readonly size: number; readonly consistentWith?: number }>;
  readonly manifest: BundleManifest | undefined;
}

type Payload = { readonly data: Buffer } | { readonly file: string };
interface Planned { readonly meta: BundleFile; readonly payload: Payload }

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const fail = (message: string): never => {
  throw new ModgateError('SUMDB_ERROR', message);
};

/** Runs an export; failures to read or verify are in the report (no bundle is written then). */
export async function exportBundle(opts: ExportOptions): Promise<ExportReport> {
  if (opts.databases.length === 0) throw new ModgateError('CONFIG_INVALID', 'export needs a checksum database to prove against (--sumdb), not --sumdb off');
  const work = await mkdtemp(join(opts.tempDir, 'export-'));
  try {
    return await run(opts, work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function run(opts: ExportOptions, work: string): Promise<ExportReport> {
  const progress = opts.onProgress;
  const walk = await walkInputs({ inputs: opts.inputs, source: opts.source, workDir: work, concurrency: opts.concurrency ?? 8, onFile: (done, total, file) => progress?.({ phase: 'fetch', done, total, file }) });
  const errors = [...walk.errors];
  const sinceFiles = new Map((opts.since?.files ?? []).map((f) => [f.name, f.sha256]));
  const planned: Planned[] = [];
  const modules: BundleModule[] = [];
  const fresh: WalkedVersion[] = [];
  let alreadyThere = 0;
  for (const v of [...walk.versions.values()].sort((a, b) => (`${a.path}@${a.version}` < `${b.path}@${b.version}` ? -1 : 1))) {
    const files: BundleModule['files'] = [];
    const add = (kind: 'info' | 'mod' | 'zip', payload: Payload, size: number, digest: string, h1?: string) => {
      const name = entryName(versionKey(v.path, v.version, kind));
      if (sinceFiles.get(name) === digest) return;
      files.push(kind);
      planned.push({ meta: { name, size, sha256: digest, ...(h1 ? { h1 } : {}) }, payload });
    };
    if (v.info) add('info', { data: v.info }, v.info.length, sha(v.info));
    if (v.mod) add('mod', { data: v.mod }, v.mod.length, sha(v.mod), hashGoMod(v.mod));
    if (v.zip) {
      try {
        const { h1 } = await checkModuleZip(v.zip.file, { path: v.path, version: v.version });
        add('zip', { file: v.zip.file }, v.zip.size, v.zip.sha256, h1);
      } catch (err) {
        errors.push(`${v.path}@${v.version}.zip: ${(err as Error).message}`);
      }
    }
    if (files.length === 0) {
      alreadyThere++;
      continue;
    }
    modules.push({ path: v.path, version: v.version, files });
    fresh.push(v);
  }

  const trees: BundleTree[] = [];
  const sumdbSummary: Array<{ name: string; size: number; consistentWith?: number }> = [];
  let records = 0;
  let tiles = 0;
  const vouched = new Map<string, Map<string, string>>();
  if (errors.length === 0 && fresh.length > 0) {
    for (const db of opts.databases) {
      try {
        const r = await proveDatabase(db, fresh, opts, (done, total, file) => progress?.({ phase: 'prove', done, total, file }));
        if (!r) continue;
        trees.push(r.tree);
        planned.push(...r.files);
        records += r.records;
        tiles += r.tiles;
        for (const [k, h] of r.lines) vouched.set(k, new Map([...(vouched.get(k) ?? []), [db.name, h]]));
        sumdbSummary.push({ name: db.name, size: r.tree.size, ...(r.tree.consistency ? { consistentWith: r.tree.consistency.size } : {}) });
      } catch (err) {
        errors.push(`checksum database ${db.name}: ${(err as Error).message}`);
      }
    }
    checkAgainstRecords(planned, fresh, vouched, errors);
  }
  const bytes = planned.reduce((n, p) => n + p.meta.size, 0);
  const base = { errors, skipped: walk.skipped, modules: modules.length, files: planned.length, bytes, zips: planned.filter((p) => p.meta.name.endsWith('.zip')).length, records, tiles, alreadyThere, sumdb: sumdbSummary };
  if (errors.length > 0) return { ok: false, out: undefined, bundleBytes: 0, manifest: undefined, ...base };

  const manifest: BundleManifest = { format: BUNDLE_FORMAT, createdAt: new Date().toISOString(), sumdb: trees, modules, files: planned.map((p) => p.meta) };
  const writer = createBundleWriter(opts.out);
  try {
    await writer.addBuffer(MANIFEST_NAME, Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`));
    let done = 0;
    for (const p of planned) {
      progress?.({ phase: 'write', done: done++, total: planned.length, file: p.meta.name });
      if ('data' in p.payload) await writer.addBuffer(p.meta.name, p.payload.data);
      else await writer.addFile(p.meta.name, p.payload.file, p.meta.size);
    }
    await writer.finish();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return { ok: true, out: opts.out, bundleBytes: writer.bytesWritten, manifest, ...base };
}

/** Every bundled .mod/.zip has the h1 its records name (at least one database vouches for each version). */
function checkAgainstRecords(planned: readonly Planned[], fresh: readonly WalkedVersion[], vouched: ReadonlyMap<string, ReadonlyMap<string, string>>, errors: string[]): void {
  const byName = new Map(planned.map((p) => [p.meta.name, p.meta]));
  for (const v of fresh) {
    for (const kind of ['mod', 'zip'] as const) {
      const meta = byName.get(entryName(versionKey(v.path, v.version, kind)));
      if (!meta) continue;
      const k = `${v.path} ${v.version}${kind === 'mod' ? '/go.mod' : ''}`;
      const by = vouched.get(k);
      if (!by || by.size === 0) {
        errors.push(`${v.path}@${v.version}.${kind}: no checksum database has a record for it (private modules cannot be carried with proof)`);
        continue;
      }
      for (const [db, h1] of by) if (h1 !== meta.h1) errors.push(`${v.path}@${v.version}.${kind}: checksum mismatch: ${db} says ${h1}, the source has ${meta.h1 ?? '?'}`);
    }
  }
}

interface Proven {
  readonly tree: BundleTree;
  readonly files: Planned[];
  readonly records: number;
  readonly tiles: number;
  readonly lines: Map<string, string>;
}

/** Fetches and proves the records of `versions` in one database against one signed tree head. */
async function proveDatabase(db: ExportDatabase, versions: readonly WalkedVersion[], opts: ExportOptions, onRecord: (done: number, total: number, file: string) => void): Promise<Proven | undefined> {
  const verifier = parseVerifierKey(db.vkey);
  const open = (note: Buffer, what: string): Tree => {
    try {
      return parseTree(openNote(note, [verifier]).text);
    } catch (err) {
      return fail(`${what}: ${(err as Error).message}`);
    }
  };
  const found: Array<{ v: WalkedVersion; id: number; text: Buffer }> = [];
  let head: Buffer | undefined;
  let tree: Tree = { n: 0, hash: Buffer.alloc(32) };
  let done = 0;
  for (const v of versions) {
    onRecord(done++, versions.length, `${v.path}@${v.version}`);
    let raw: Buffer;
    try {
      raw = await opts.source.lookup(db.name, v.path, v.version);
    } catch (err) {
      if (isNotFound(err)) continue;
      throw err;
    }
    const { id, text, rest } = parseRecord(raw);
    const t = open(rest, `record of ${v.path}@${v.version}`);
    if (t.n > tree.n) {
      head = rest;
      tree = t;
    }
    found.push({ v, id, text });
  }
  if (found.length === 0) return undefined;
  // The newest tree head the source knows (lookups may have been answered from older trees).
  const latest = await opts.source.latest(db.name).catch((err: unknown) => {
    // An empty or unreachable source tree head: the records' own (verified) tree heads serve.
    if (isNotFound(err) || (err instanceof ModgateError && err.code === 'SUMDB_ERROR')) return undefined;
    throw err;
  });
  const latestTree = latest ? open(latest, 'latest signed tree') : undefined;
  if (latest && latestTree && latestTree.n > tree.n) {
    head = latest;
    tree = latestTree;
  }
  if (!head) return fail('no signed tree head');

  const tileData = new Map<string, Buffer>();
  const reader: TileReader = {
    height: 8,
    readTiles: (ts) => Promise.all(ts.map((t) => opts.source.tile(db.name, tilePath(t)))),
    saveTiles: async (ts, data) => ts.forEach((t, i) => tileData.set(tilePath(t), data[i]!)),
  };
  const hashes = tileHashReader(tree, reader);
  const files: Planned[] = [];
  const lines = new Map<string, string>();
  const prefix = sumdbKeyPrefix(db.name);
  for (const r of found) {
    const [leaf] = await hashes([storedHashIndex(0, r.id)]);
    if (!leaf!.equals(recordHash(r.text))) fail(`record ${r.id} of ${r.v.path}@${r.v.version} is not in tree ${tree.n}`);
    for (const line of r.text.toString('utf8').split('\n')) {
      const f = line.split(' ');
      if (f.length === 3 && f[0] === r.v.path) lines.set(`${f[0]} ${f[1]}`, f[2]!);
    }
    const data = Buffer.concat([formatRecord(r.id, r.text), head]);
    files.push({ meta: { name: entryName(`${prefix}lookup/${escapePath(r.v.path)}@${escapeVersion(r.v.version)}`), size: data.length, sha256: sha(data) }, payload: { data } });
  }
  const consistency = await proveConsistency(db.name, tree, hashes, opts.since, open);
  for (const [path, data] of tileData) files.push({ meta: { name: entryName(prefix + path), size: data.length, sha256: sha(data) }, payload: { data } });
  return {
    tree: { name: db.name, note: head.toString('utf8'), size: tree.n, ...(consistency ? { consistency } : {}) },
    files,
    records: found.length,
    tiles: tileData.size,
    lines,
  };
}

/** For --since: the older tree must be a prefix of the new one; returns the RFC 6962 proof. */
async function proveConsistency(name: string, tree: Tree, hashes: ReturnType<typeof tileHashReader>, since: BundleManifest | undefined, open: (note: Buffer, what: string) => Tree): Promise<BundleTree['consistency']> {
  const old = since?.sumdb.find((t) => t.name === name);
  if (!old) return undefined;
  const oldTree = open(Buffer.from(old.note, 'utf8'), `--since tree head of ${name}`);
  if (oldTree.n > tree.n) fail(`the --since manifest's tree (${oldTree.n}) is newer than the source's (${tree.n}); export from an up-to-date server`);
  if (oldTree.n === 0) return undefined;
  const h = await treeHash(oldTree.n, hashes);
  if (!h.equals(oldTree.hash)) fail(`SECURITY: tree ${tree.n} is inconsistent with the --since tree ${oldTree.n} (the database forked)`);
  const proof = oldTree.n === tree.n ? [] : await proveTree(tree.n, oldTree.n, hashes);
  return { size: oldTree.n, hash: oldTree.hash.toString('base64'), proof: proof.map((p) => p.toString('base64')) };
}
