// Export from storage (`modgate export --cache-dir`) with private paths: their versions are never
// looked up in the checksum database (the lookup would tell it the private path), so they have no
// record and the export stops, saying why; public versions beside them are looked up as usual.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSumdb, type SumdbServer } from '../../test/support/gohelper.js';
import { exportSmallReport, writeSmallModules } from '../../test/support/small-bundle.js';

let work: string;
let sumdb: SumdbServer;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'modgate-bundle-export-'));
  await writeSmallModules(join(work, 'modules'));
  sumdb = await startSumdb({ proxyDir: join(work, 'modules'), log: true });
});

after(async () => {
  await sumdb?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('export from storage never looks up a private path in the checksum database', async () => {
  const r = await exportSmallReport({
    dir: join(work, 'modules'), sumdb, modules: ['example.com/small/a@v1.0.0', 'example.com/small/b@v0.1.0'],
    out: join(work, 'b.tgz'), tempDir: work, nosumdb: 'example.com/small/b',
  });
  assert.equal(r.ok, false);
  assert.ok(r.errors.includes('example.com/small/b@v0.1.0.zip: no checksum database has a record for it (private modules cannot be carried with proof)'), r.errors.join('\n'));
  assert.ok(sumdb.requests.some((p) => p.includes('/lookup/example.com/small/a@')), sumdb.requests.join('\n'));
  assert.deepEqual(sumdb.requests.filter((p) => p.includes('small/b')), []);
});
