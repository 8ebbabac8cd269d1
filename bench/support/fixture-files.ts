// Lists the files of a GOPROXY-layout directory (the fixture's, or modgate's fs cache) as request
// paths, e.g. /golang.org/x/text/@v/v0.3.7.info (directory names are already escaped).
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface ProxyFile {
  /** request path, starting with / */
  path: string;
  kind: 'info' | 'mod' | 'zip';
}

export async function listProxyFiles(dir: string): Promise<ProxyFile[]> {
  const out: ProxyFile[] = [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isFile()) continue;
    const m = /\.(info|mod|zip)$/.exec(e.name);
    if (!m) continue;
    const rel = relative(dir, join(e.parentPath, e.name)).split(sep).join('/');
    if (!rel.includes('/@v/')) continue;
    out.push({ path: `/${rel}`, kind: m[1] as ProxyFile['kind'] });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
