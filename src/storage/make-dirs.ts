// mkdir -p that always ends: Node's own `mkdir(dir, { recursive: true })` loops forever (100% CPU)
// when a parent exists but refuses the child with ENOENT (e.g. under /proc), so walk it by hand.
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

const codeOf = (err: unknown): unknown => (err as NodeJS.ErrnoException | null)?.code;

/** Creates dir and its missing parents, one level at a time; rejects with the first failure. */
export async function makeDirs(dir: string): Promise<void> {
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    try {
      await stat(p);
      break;
    } catch (err) {
      if (codeOf(err) !== 'ENOENT') throw err;
      missing.push(p);
      const parent = dirname(p);
      if (parent === p) break;
      p = parent;
    }
  }
  for (const d of missing.reverse()) {
    try {
      await mkdir(d);
    } catch (err) {
      if (codeOf(err) !== 'EEXIST') throw err;
    }
  }
  // A non-directory in the way: let mkdir say so (ENOTDIR/EEXIST), as mkdir -p would.
  const s = await stat(resolve(dir));
  if (!s.isDirectory()) await mkdir(resolve(dir));
}
