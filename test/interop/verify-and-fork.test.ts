// Checksum DB fork detection against Go's own checksum database (restarted with the same key and
// a different history), verify-cache finding a file corrupted after the fact, and verify-gosum
// flagging a tampered go.sum line (directly and through modgate's /sumdb/ proxy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSumdb, type FixtureModule } from '../support/gohelper.js';
import { startModgate, type ModgateProcess } from '../support/modgate-process.js';
import { startForwarder } from '../support/switchable-forwarder.js';
import { runProcess } from '../support/process-runner.js';
import { runGoHashes } from '../support/go-hashes.js';
import { readZipEntries } from '../support/zip-tamper.js';
import { buildZip } from '../../src/zip/zip-test-writer.js';
import { escapePath, escapeVersion } from '../../src/module/escape.js';
import { useTestStack } from '../support/test-stack.js';

const BIN = fileURLToPath(new URL('../../bin/modgate', import.meta.url));
const stack = useTestStack({ name: 'verify', sumdb: false });

const fileUrl = (base: string, m: FixtureModule, ext: string) => `${base}/${escapePath(m.path)}/@v/${escapeVersion(m.selected)}.${ext}`;
const cli = (args: string[]) => runProcess(process.execPath, [BIN, ...args], { timeoutMs: 120_000 });

test('a forked checksum database is refused, reported in /readyz and events, and the stored tree is kept', async () => {
  const keyFile = join(stack.work, 'sumdb.key');
  const db1 = await startSumdb({ proxyDir: stack.fixture.proxyDir, keyFile });
  stack.defer(() => db1.stop());
  const fwd = await startForwarder(db1.url);
  stack.defer(() => fwd.stop());
  const cacheDir = join(stack.work, 'fork-cache');
  const args = ['--cache-dir', cacheDir, '--upstream', stack.upstream.url, '--sumdb', `${db1.vkey} ${fwd.url}`, '--admin-tokens', 'tok', '--prefetch', 'false'];
  const [x, y, z] = [stack.mods[0]!, stack.mods[1]!, stack.mods[2]!];

  let mg: ModgateProcess = await startModgate({ args });
  stack.defer(() => mg.kill());
  for (const m of [x, y]) assert.equal((await fetch(fileUrl(mg.url, m, 'mod'))).status, 200);
  await mg.stop();
  const latestFile = join(cacheDir, 'sumdb', db1.name, 'latest');
  const verifiedTree = await readFile(latestFile);
  // db1 saw exactly two lookups: the persisted verified tree is the one with both records.
  assert.match(verifiedTree.toString('utf8'), /^go\.sum database tree\n2\n/);

  // Same key, fresh history: the database now tells a different story about its past.
  await db1.stop();
  const db2 = await startSumdb({ proxyDir: stack.fixture.proxyDir, keyFile });
  stack.defer(() => db2.stop());
  assert.equal(db2.vkey, db1.vkey);
  fwd.setTarget(db2.url);

  mg = await startModgate({ args });
  stack.defer(() => mg.kill());
  const res = await fetch(fileUrl(mg.url, z, 'mod'));
  assert.equal(res.status, 502);
  assert.match(await res.text(), /fork|inconsistent/i);
  const ready = await fetch(`${mg.url}/readyz`);
  assert.equal(ready.status, 503);
  assert.match(await ready.text(), /FORKED/);
  const evRes = await fetch(`${mg.url}/admin/events?type=sumdb_fork`, { headers: { authorization: "Bearer tok" } });
  const events = (await evRes.json()) as { events: unknown[] };
  assert.ok(events.events.length >= 1, `${evRes.status} ${JSON.stringify(events)} ${JSON.stringify(await readdir(join(cacheDir, ".modgate", "events")).catch((e: Error) => e.message))}`);
  assert.ok((await readFile(latestFile)).equals(verifiedTree), 'the stored verified tree was replaced');
  // Nothing new is accepted after a fork, even what the database would vouch for.
  assert.equal((await fetch(fileUrl(mg.url, stack.mods[3]!, 'mod'))).status, 502);
  // What was verified before the fork is still served from the cache.
  assert.equal((await fetch(fileUrl(mg.url, x, 'mod'))).status, 200);
  const metrics = await (await fetch(`${mg.url}/metrics`)).text();
  assert.match(metrics, /modgate_sumdb_fork_detected_total\{sumdb="[^"]+"\} [1-9]/);
});

test('verify-cache finds files corrupted on disk; --purge removes them; then it is clean', async () => {
  const db = await startSumdb({ proxyDir: stack.fixture.proxyDir });
  stack.defer(() => db.stop());
  const cacheDir = join(stack.work, 'verify-cache');
  // No prefetch: the counts below are exactly the files asked for, whatever the modules require.
  const mg = await startModgate({ args: ['--cache-dir', cacheDir, '--upstream', stack.upstream.url, '--sumdb', db.gosumdb, '--no-prefetch'] });
  stack.defer(() => mg.kill());
  const some = stack.mods.slice(4, 8);
  for (const m of some) assert.equal((await fetch(fileUrl(mg.url, m, 'zip'))).status, 200);
  await mg.stop();
  const flags = ['--cache-dir', cacheDir, '--sumdb', db.gosumdb];

  const clean = await cli(['verify-cache', ...flags]);
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  assert.match(clean.stdout, /checked 4 zips and 4 go\.mod files/);

  // A zip replaced by another valid zip (extra file) and a go.mod edited in place.
  const zipPath = fileUrl(cacheDir, some[0]!, 'zip');
  const entries = await readZipEntries(await readFile(zipPath));
  await writeFile(zipPath, buildZip([...entries, { name: `${some[0]!.path}@${some[0]!.selected}/extra.go`, data: 'package x\n' }]));
  await appendFile(fileUrl(cacheDir, some[1]!, 'mod'), '// edited\n');

  const dirty = await cli(['verify-cache', ...flags, '--json']);
  assert.equal(dirty.code, 1, dirty.stderr);
  const report = JSON.parse(dirty.stdout) as { findings: Array<{ module: string; file: string; problem: string }> };
  assert.deepEqual(report.findings.map((f) => `${f.module} ${f.file}`).sort(), [`${some[0]!.path} zip`, `${some[1]!.path} mod`].sort());
  assert.match(report.findings.find((f) => f.file === 'zip')!.problem, /ziphash/);
  assert.match(report.findings.find((f) => f.file === 'mod')!.problem, /checksum database/);

  const purged = await cli(['verify-cache', ...flags, '--purge']);
  assert.equal(purged.code, 1);
  assert.match(purged.stdout, /PURGED/);
  const after = await cli(['verify-cache', ...flags]);
  assert.equal(after.code, 0, after.stdout);
  assert.match(after.stdout, /checked 2 zips and 2 go\.mod files/);
});

test('verify-gosum flags a tampered go.sum line, directly and through modgate\'s /sumdb/ proxy', async () => {
  const db = await startSumdb({ proxyDir: stack.fixture.proxyDir });
  stack.defer(() => db.stop());
  const mg = await startModgate({ args: ['--cache-dir', join(stack.work, 'gosum-cache'), '--upstream', stack.upstream.url, '--sumdb', db.gosumdb] });
  stack.defer(() => mg.kill());
  const chosen = stack.mods.slice(8, 12);
  const lines: string[] = [];
  for (const m of chosen) {
    const h = await runGoHashes(stack.fixture.proxyDir, m.path, m.selected);
    lines.push(`${m.path} ${m.selected} ${h.zip}`, `${m.path} ${m.selected}/go.mod ${h.mod}`);
  }
  const good = join(stack.work, 'good.sum');
  await writeFile(good, `${lines.join('\n')}\n`);
  const tampered = [...lines];
  tampered[2] = tampered[2]!.replace(/h1:.{4}/, 'h1:AAAA');
  const bad = join(stack.work, 'bad.sum');
  await writeFile(bad, `${tampered.join('\n')}\n`);

  const ok = await cli(['verify-gosum', good, '--sumdb', db.gosumdb]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /8 ok, 0 mismatched/);
  for (const via of [['--sumdb', db.gosumdb], ['--sumdb', db.vkey, '--proxy', mg.url]]) {
    const r = await cli(['verify-gosum', bad, ...via, '--json']);
    assert.equal(r.code, 1, r.stderr);
    const rep = JSON.parse(r.stdout) as { counts: Record<string, number>; results: Array<{ status: string; module: string }> };
    assert.equal(rep.counts.mismatch, 1);
    assert.equal(rep.counts.ok, 7);
    assert.equal(rep.results.find((x) => x.status === 'mismatch')?.module, chosen[1]!.path);
  }
});
