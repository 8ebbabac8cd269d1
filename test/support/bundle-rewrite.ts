// Rewrites an air-gap bundle for tests (tampering): reads every entry into memory, lets the test
// change entries (and keeps the manifest's sizes and sha256 in step when asked), writes a new bundle.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import type { BundleManifest } from '../../src/bundle/bundle-manifest.js';

export interface BundleContents {
  manifest: BundleManifest;
  /** Every entry but manifest.json, by tar name, in order. */
  entries: Map<string, Buffer>;
}

export async function readBundle(file: string): Promise<BundleContents> {
  const extract = tar.extract();
  Readable.from([gunzipSync(await readFile(file))]).pipe(extract);
  const entries = new Map<string, Buffer>();
  let manifest: BundleManifest | undefined;
  for await (const e of extract) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    const data = Buffer.concat(chunks);
    if (e.header.name === 'manifest.json') manifest = JSON.parse(data.toString('utf8')) as BundleManifest;
    else entries.set(e.header.name, data);
  }
  if (!manifest) throw new Error(`${file}: no manifest`);
  return { manifest, entries };
}

/** Sets an entry's bytes and, with syncManifest, its manifest size/sha256 (and h1 when given). */
export function setEntry(b: BundleContents, name: string, data: Buffer, sync: { h1?: string } | false = false): void {
  if (!b.entries.has(name)) throw new Error(`no entry ${name}`);
  b.entries.set(name, data);
  if (sync === false) return;
  const f = b.manifest.files.find((x) => x.name === name)!;
  f.size = data.length;
  f.sha256 = createHash('sha256').update(data).digest('hex');
  if (sync.h1 !== undefined) f.h1 = sync.h1;
}

export async function writeBundle(b: BundleContents, file: string): Promise<void> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
  const ended = new Promise<void>((res, rej) => {
    pack.on('end', () => res());
    pack.on('error', rej);
  });
  pack.entry({ name: 'manifest.json' }, JSON.stringify(b.manifest));
  for (const [name, data] of b.entries) pack.entry({ name }, data);
  pack.finalize();
  await ended;
  await writeFile(file, gzipSync(Buffer.concat(chunks)));
}

/** sha256 of every file under a directory (relative path → hex), to prove it did not change. */
export async function hashTree(dir: string): Promise<Record<string, string>> {
  const { readdir } = await import('node:fs/promises');
  const out: Record<string, string> = {};
  const walk = async (rel: string): Promise<void> => {
    for (const d of await readdir(`${dir}/${rel}`, { withFileTypes: true }).catch(() => [])) {
      const p = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDirectory()) await walk(p);
      else out[p] = createHash('sha256').update(await readFile(`${dir}/${p}`)).digest('hex');
    }
  };
  await walk('');
  return out;
}

/** Changes one hash in the first record entry whose name includes `match` (its manifest size and sha256 made to match, as an attacker would); returns the entry name. */
export function tamperRecord(b: BundleContents, match = '/lookup/'): string {
  const name = [...b.entries.keys()].find((n) => n.includes(match));
  if (!name) throw new Error(`no record entry matching ${match}`);
  const text = b.entries.get(name)!.toString('utf8');
  setEntry(b, name, Buffer.from(text.replace(/ h1:(.)/, (_m, c: string) => ` h1:${c === 'A' ? 'B' : 'A'}`)), {});
  return name;
}
