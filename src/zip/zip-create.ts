// Creates a module zip from a list of files the way golang.org/x/mod/zip.Create does: files in
// nested modules, vendored packages, a root .hg_archival.txt, symlinks and other irregular files
// are omitted; unclean, absolute or invalid paths, a go.mod of another casing, case-fold collisions
// and size limits are errors. Entries are `<module>@<version>/<file>`; only their h1 matters.
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { ModgateError } from '../errors/modgate-error.js';
import { checkFilePath } from '../module/check-path.js';
import { canonicalVersion, checkModule } from '../module/version.js';
import { CollisionChecker, MAX_GO_MOD, MAX_LICENSE, MAX_ZIP_FILE, cleanPath } from './zip-rules.js';

/** One candidate file of a module, named relative to the module root with slashes. */
export interface ZipSourceFile {
  readonly path: string;
  readonly kind: 'file' | 'symlink' | 'dir' | 'other';
  /** Declared size in bytes (content longer than this is an error). */
  readonly size: number;
  open(): Readable;
}

export interface FileProblem {
  readonly path: string;
  readonly reason: string;
}

export interface CheckedSourceFiles {
  readonly valid: ZipSourceFile[];
  readonly omitted: FileProblem[];
  readonly invalid: FileProblem[];
  readonly sizeError: string | undefined;
}

/** Go's isVendoredPackage, quirk included: the offset after a middle "/vendor/" is not added. */
export function isVendoredPackage(name: string): boolean {
  let i: number;
  if (name.startsWith('vendor/')) i = 'vendor/'.length;
  else if (name.includes('/vendor/')) i = '/vendor/'.length;
  else return false;
  return name.slice(i).includes('/');
}

function splitDir(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i + 1);
}

/** Sorts files into valid, omitted and invalid ones (x/mod zip checkFiles). */
export function checkSourceFiles(files: readonly ZipSourceFile[]): CheckedSourceFiles {
  const errPaths = new Set<string>();
  const omitted: FileProblem[] = [];
  const invalid: FileProblem[] = [];
  const add = (path: string, isOmitted: boolean, reason: string): void => {
    if (errPaths.has(path)) return;
    errPaths.add(path);
    (isOmitted ? omitted : invalid).push({ path, reason });
  };
  const haveGoMod = new Set<string>();
  for (const f of files) {
    const base = f.path.slice(f.path.lastIndexOf('/') + 1);
    if (base.toLowerCase() === 'go.mod' && f.kind === 'file') haveGoMod.add(splitDir(f.path));
  }
  const inSubmodule = (p: string): boolean => {
    for (let q = p; ; ) {
      const dir = splitDir(q);
      if (dir === '') return false;
      if (haveGoMod.has(dir)) return true;
      q = dir.slice(0, -1);
    }
  };
  const collisions = new CollisionChecker();
  const valid: ZipSourceFile[] = [];
  let budget = MAX_ZIP_FILE;
  let sizeError: string | undefined;
  for (const f of files) {
    const p = f.path;
    if (p !== cleanPath(p)) add(p, false, 'file path is not clean');
    else if (p.startsWith('/')) add(p, false, 'file path is not relative');
    else if (isVendoredPackage(p)) add(p, true, 'file is in vendor directory');
    else if (inSubmodule(p)) add(p, true, 'file is in another module');
    else if (p === '.hg_archival.txt') add(p, true, 'file is inserted by \'hg archive\' and is always omitted');
    else {
      try {
        checkFilePath(p);
      } catch (err) {
        add(p, false, (err as Error).message);
        continue;
      }
      if (p.toLowerCase() === 'go.mod' && p !== 'go.mod') {
        add(p, false, 'go.mod files must be named go.mod, not other cases');
        continue;
      }
      try {
        collisions.check(p, f.kind === 'dir', p);
      } catch (err) {
        add(p, false, (err as Error).message.replace(/^[^:]*: /, ''));
        continue;
      }
      if (f.kind === 'symlink') add(p, true, 'file is a symbolic link');
      else if (f.kind !== 'file') add(p, true, 'not a regular file');
      else {
        if (f.size >= 0 && f.size <= budget) budget -= f.size;
        else sizeError ??= `module source tree too large (max size is ${MAX_ZIP_FILE} bytes)`;
        if (p === 'go.mod' && f.size > MAX_GO_MOD) add(p, false, `go.mod file too large (max size is ${MAX_GO_MOD} bytes)`);
        else if (p === 'LICENSE' && f.size > MAX_LICENSE) add(p, false, `LICENSE file too large (max size is ${MAX_LICENSE} bytes)`);
        else valid.push(f);
      }
    }
  }
  return { valid, omitted, invalid, sizeError };
}

const FIXED_TIME = new Date('1980-01-01T00:00:00Z');

/**
 * Writes the zip of module path@version built from files to outFile. Throws ZIP_INVALID listing
 * the invalid files (or the size error); returns what was omitted and why.
 */
export async function createModuleZip(opts: { path: string; version: string; files: readonly ZipSourceFile[]; outFile: string }): Promise<{ omitted: FileProblem[]; files: number }> {
  const { path, version } = opts;
  const canon = canonicalVersion(version);
  if (canon !== version) throw new ModgateError('INVALID_VERSION', `create zip: version "${version}" is not canonical (should be "${canon}")`);
  checkModule(path, version);
  const cf = checkSourceFiles(opts.files);
  if (cf.invalid.length > 0 || cf.sizeError !== undefined) {
    const lines = cf.invalid.map((e) => `\t${e.path}: ${e.reason}`);
    if (cf.sizeError !== undefined) lines.push(`\t${cf.sizeError}`);
    throw new ModgateError('ZIP_INVALID', `create zip: ${path}@${version}: malformed file path or content:\n${lines.join('\n')}`, {
      details: { invalid: cf.invalid.map((e) => e.path) },
    });
  }
  const zip = new yazl.ZipFile();
  const prefix = `${path}@${version}/`;
  for (const f of cf.valid) {
    zip.addReadStreamLazy(prefix + f.path, { size: f.size, mtime: FIXED_TIME, mode: 0o100644 }, (cb) => {
      try {
        cb(null, f.open());
      } catch (err) {
        cb(err, undefined as unknown as NodeJS.ReadableStream);
      }
    });
  }
  zip.end();
  const failed = new Promise<never>((_resolve, reject) => {
    zip.once('error', (err: Error) => {
      (zip.outputStream as Readable).destroy(err);
      reject(new ModgateError('ZIP_INVALID', `create zip: ${path}@${version}: ${err.message}`, { cause: err }));
    });
  });
  failed.catch(() => undefined);
  await Promise.race([pipeline(zip.outputStream, createWriteStream(opts.outFile)), failed]);
  return { omitted: cf.omitted, files: cf.valid.length };
}
