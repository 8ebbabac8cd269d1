// The file:// upstream over a directory in the module cache layout, through the Upstream compliance
// suite; the oversized files are sparse, so the limits are checked without writing 500 MiB.
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { escapePath } from '../module/escape.js';
import { runUpstreamCompliance, writePublishedZip } from './upstream-compliance.js';
import { createFileUpstream } from './file-upstream.js';

runUpstreamCompliance('file', async (v) => {
  const root = await mkdtemp(join(tmpdir(), 'modgate-file-up-'));
  const dir = join(root, ...escapePath(v.path).split('/'), '@v');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'list'), `${v.version}\n`);
  await writeFile(join(dir, `${v.version}.info`), JSON.stringify({ Version: v.version, Time: v.time }));
  await writeFile(join(dir, `${v.version}.mod`), v.files['go.mod']!);
  await writePublishedZip(v, join(dir, `${v.version}.zip`));
  await writeFile(join(dir, 'v1.3.0.zip'), '');
  await truncate(join(dir, 'v1.3.0.zip'), (500 << 20) + 1);
  await writeFile(join(dir, 'v1.4.0.mod'), '');
  await truncate(join(dir, 'v1.4.0.mod'), (16 << 20) + 1);
  return {
    upstream: createFileUpstream(pathToFileURL(root).href),
    oversized: { zip: 'v1.3.0', mod: 'v1.4.0' },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});
