// A module zip from git, the go command's way: `git archive` of the commit (info/attributes in the
// mirror neutralise export-subst/export-ignore; LF line endings), the module's subdirectory
// stripped, directory entries skipped, the repository root's LICENSE added for modules in a
// subdirectory without one, then x/mod's omission rules (zip-create.ts).
import { PassThrough, Readable } from 'node:stream';
import yauzl from 'yauzl';
import { readZipEntries } from '../zip/zip-check.js';
import { ModgateError } from '../errors/modgate-error.js';
import { createModuleZip, type ZipSourceFile } from '../zip/zip-create.js';
import { MAX_LICENSE } from '../zip/zip-rules.js';
import type { GitRepo } from './git-repo.js';

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, decodeStrings: false, autoClose: false }, (err, zf) => (err ? reject(err) : resolve(zf)));
  });
}


function entryName(e: yauzl.Entry): string {
  const raw = e.fileName as unknown as Buffer | string;
  return typeof raw === 'string' ? raw : raw.toString('utf8');
}

function kindOf(e: yauzl.Entry, name: string): ZipSourceFile['kind'] {
  if (name.endsWith('/')) return 'dir';
  const madeBy = e.versionMadeBy >> 8;
  const mode = e.externalFileAttributes >>> 16;
  if (madeBy !== 3 || mode === 0) return 'file';
  const type = mode & 0o170000;
  if (type === 0o120000) return 'symlink';
  if (type === 0o100000) return 'file';
  if (type === 0o040000) return 'dir';
  return 'other';
}

export interface GitZipOptions {
  readonly repo: GitRepo;
  readonly modPath: string;
  readonly version: string;
  readonly hash: string;
  /** Module directory inside the repository ('' at the root). */
  readonly subdir: string;
  /** Scratch file for the archive. */
  readonly archiveFile: string;
  readonly outFile: string;
}

/** Builds the module zip into outFile; returns the number of files and what was omitted. */
export async function createGitModuleZip(opts: GitZipOptions): Promise<{ files: number; omitted: number }> {
  const subdir = opts.subdir.replace(/^\/+|\/+$/g, '');
  if (!(await opts.repo.archive(opts.hash, subdir, opts.archiveFile))) {
    throw new ModgateError('NOT_FOUND', `${opts.modPath}@${opts.version}: no files in ${subdir || 'the repository'} at ${opts.hash}`);
  }
  const zf = await openZip(opts.archiveFile);
  try {
    const entries = await readZipEntries(zf);
    const files: ZipSourceFile[] = [];
    const want = subdir === '' ? '' : `${subdir}/`;
    let topPrefix = '';
    let haveLicense = false;
    for (const e of entries) {
      const full = entryName(e);
      if (topPrefix === '') {
        const i = full.indexOf('/');
        if (i < 0) throw new ModgateError('VCS_ERROR', 'git archive: missing top-level directory prefix');
        topPrefix = full.slice(0, i + 1);
      }
      if (!full.startsWith(topPrefix)) throw new ModgateError('VCS_ERROR', 'git archive: more than one top-level directory');
      const inRepo = full.slice(topPrefix.length);
      if (!inRepo.startsWith(want)) continue;
      const name = inRepo.slice(want.length);
      if (name === '' || name.endsWith('/')) continue;
      files.push({
        path: name,
        kind: kindOf(e, name),
        size: e.uncompressedSize,
        open(): Readable {
          const out = new PassThrough();
          zf.openReadStream(e, (err, rs) => (err ? out.destroy(err) : rs.pipe(out)));
          return out;
        },
      });
      if (name === 'LICENSE') haveLicense = true;
    }
    if (!haveLicense && subdir !== '') {
      const data = await opts.repo.readFile(opts.hash, 'LICENSE', MAX_LICENSE).catch(() => undefined);
      if (data) {
        files.push({ path: 'LICENSE', kind: 'file', size: data.length, open: () => Readable.from([data]) });
      }
    }
    const r = await createModuleZip({ path: opts.modPath, version: opts.version, files, outFile: opts.outFile });
    return { files: r.files, omitted: r.omitted.length };
  } finally {
    zf.close();
  }
}
