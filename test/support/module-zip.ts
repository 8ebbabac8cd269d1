// Writes small module zips for tests (with yazl), including deliberately broken ones.
import yazl from 'yazl';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export interface ZipEntry {
  readonly name: string;
  readonly data: string | Buffer;
}

/** Writes a zip whose entries are named exactly as given (callers add the module@version/ prefix). */
export async function writeZip(file: string, entries: readonly ZipEntry[]): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const e of entries) zip.addBuffer(Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data), e.name, { mtime: new Date(0), mode: 0o644 });
  zip.end();
  const out = createWriteStream(file);
  zip.outputStream.pipe(out);
  await once(out, 'close');
}

/** Writes a well-formed module zip for path@version from relative file names → contents. */
export async function writeModuleZip(file: string, path: string, version: string, files: Readonly<Record<string, string>>): Promise<void> {
  await writeZip(file, Object.entries(files).map(([name, data]) => ({ name: `${path}@${version}/${name}`, data })));
}
