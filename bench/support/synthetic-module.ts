// Writes a synthetic module version (list, .info, .mod, .zip) into a GOPROXY-layout directory:
// the zip holds incompressible random files, stored uncompressed, so its size is what was asked.
import yazl from 'yazl';
import { createWriteStream } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export interface SyntheticModule {
  /** module path, lower case (no escaping needed), e.g. example.com/big */
  path: string;
  version: string;
  /** approximate zip size in bytes (content; headers add a few hundred bytes) */
  bytes: number;
}

const PART = 8 * 1024 * 1024;

/** Writes the module into proxyDir; returns the zip's request path (`/<path>/@v/<version>.zip`). */
export async function writeSyntheticModule(proxyDir: string, m: SyntheticModule): Promise<string> {
  const vdir = join(proxyDir, ...m.path.split('/'), '@v');
  await mkdir(vdir, { recursive: true });
  const gomod = `module ${m.path}\n\ngo 1.16\n`;
  await writeFile(join(vdir, `${m.version}.info`), JSON.stringify({ Version: m.version, Time: '2024-01-01T00:00:00Z' }));
  await writeFile(join(vdir, `${m.version}.mod`), gomod);
  await appendFile(join(vdir, 'list'), `${m.version}\n`);
  const zip = new yazl.ZipFile();
  const out = createWriteStream(join(vdir, `${m.version}.zip`));
  zip.outputStream.pipe(out);
  const prefix = `${m.path}@${m.version}/`;
  zip.addBuffer(Buffer.from(gomod), `${prefix}go.mod`, { mtime: new Date(0), mode: 0o644 });
  zip.addBuffer(Buffer.from('package big\n'), `${prefix}big.go`, { mtime: new Date(0), mode: 0o644 });
  let left = m.bytes;
  for (let i = 0; left > 0; i++) {
    const n = Math.min(PART, left);
    left -= n;
    zip.addBuffer(randomBytes(n), `${prefix}data/part${String(i).padStart(4, '0')}.bin`, { mtime: new Date(0), mode: 0o644, compress: false });
    // let the output drain so at most a few parts are held in memory
    if (out.writableLength > 4 * PART) await once(out, 'drain');
  }
  zip.end();
  await once(out, 'close');
  return `/${m.path}/@v/${m.version}.zip`;
}
