// The packages of a module zip and, on demand, the imports of each (its non-test .go files that are
// not constrained by `ignore`; testdata, vendor and _/. directories are not packages the go
// command builds). Read from the zip's bytes; only the head of each file is inflated. Used by the
// prefetch (cache/prefetcher.ts) to follow a build's imports from one module into the next.
import type yauzl from 'yauzl';
import { goFileImports } from '../module/go-imports.js';

/** Bytes of a file's head read for its imports (license headers and long import blocks fit). */
const HEAD_BYTES = 64 << 10;

export interface ZipPackages {
  /** Import paths of the module's packages (directories holding non-test .go files). */
  readonly packages: ReadonlySet<string>;
  /** The import paths the package's files name (empty for a package not in the zip). */
  imports(pkg: string): Promise<string[]>;
  close(): void;
}

const skippedDir = (dir: string): boolean => dir.split('/').some((d) => d === 'testdata' || d === 'vendor' || d.startsWith('_') || d.startsWith('.'));

export async function openZipPackages(zip: Buffer, mod: { path: string; version: string }): Promise<ZipPackages> {
  const { fromBuffer } = (await import('yauzl')).default; // loaded by the first use, not at start
  const zf = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    fromBuffer(zip, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true }, (err, z) => (err ? reject(err) : resolve(z)));
  });
  const prefix = `${mod.path}@${mod.version}/`;
  const files = new Map<string, yauzl.Entry[]>();
  await new Promise<void>((resolve, reject) => {
    zf.on('entry', (e: yauzl.Entry) => {
      const name = e.fileNameRaw.toString('utf8');
      if (name.startsWith(prefix) && name.endsWith('.go') && !name.endsWith('_test.go')) {
        const rel = name.slice(prefix.length);
        const slash = rel.lastIndexOf('/');
        const dir = slash < 0 ? '' : rel.slice(0, slash);
        if (!skippedDir(dir)) {
          const pkg = dir === '' ? mod.path : `${mod.path}/${dir}`;
          const list = files.get(pkg) ?? [];
          list.push(e);
          files.set(pkg, list);
        }
      }
      zf.readEntry();
    });
    zf.once('end', () => resolve());
    zf.once('error', reject);
    zf.readEntry();
  });

  const head = async (e: yauzl.Entry): Promise<string> => {
    const stream = await zf.openReadStreamPromise(e);
    const chunks: Buffer[] = [];
    let n = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        n += chunk.length;
        if (n >= HEAD_BYTES) break;
      }
    } finally {
      stream.destroy();
    }
    return Buffer.concat(chunks).toString('utf8');
  };

  return {
    packages: new Set(files.keys()),
    async imports(pkg) {
      const out = new Set<string>();
      for (const e of files.get(pkg) ?? []) {
        const f = goFileImports(await head(e));
        if (!f.ignored) for (const i of f.imports) out.add(i);
      }
      return [...out];
    },
    close: () => zf.close(),
  };
}
