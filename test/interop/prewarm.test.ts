// `modgate prewarm` against a real modgate: after prewarming from the fixture app's go.mod (or from
// a go.sum the go command wrote), the upstream answers 500 to everything and the real go command
// still builds the app and runs `go mod download all` through modgate — all from its cache — and the
// module set prewarm fetched equals the set `go mod download -json all` lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAndDownloadAll, directReference } from '../support/fixture-build.js';
import type { ModgateProcess } from '../support/modgate-process.js';
import { runProcess } from '../support/process-runner.js';
import type { PrewarmReport } from '../../src/service/prewarm-run.js';
import { useTestStack } from '../support/test-stack.js';

const BIN = fileURLToPath(new URL('../../bin/modgate', import.meta.url));

const stack = useTestStack({ name: 'prewarm' });
/** What the go command itself needs, from a run straight against the upstream's module directory (shared: directReference). */
let direct: { downloadAll: string[]; goSum: string; goSumZips: string[]; goSumMods: string[] };

/** go build + go mod download -json all through goproxy in a fresh module cache. */
async function goThrough(goproxy: string, name: string): Promise<{ downloadAll: string[]; goSum: string }> {
  const r = await buildAndDownloadAll({ fixture: stack.fixture, goproxy, gosumdb: stack.sumdb.gosumdb, work: stack.work, name });
  return { downloadAll: r.modules.map((m) => `${m.Path}@${m.Version}`).sort(), goSum: r.goSum };
}

async function runPrewarm(args: string[]): Promise<{ code: number; report: PrewarmReport; stderr: string }> {
  const r = await runProcess(process.execPath, [BIN, 'prewarm', '--json', ...args], { timeoutMs: 300_000 });
  return { code: r.code, report: JSON.parse(r.stdout) as PrewarmReport, stderr: r.stderr };
}

const freshModgate = (name: string): Promise<ModgateProcess> => stack.startModgate({ cache: name, args: ['--prefetch', 'false'] });

const withFile = (r: PrewarmReport, kind: 'info' | 'mod' | 'zip'): string[] => r.modules.filter((m) => m.files[kind] !== undefined).map((m) => `${m.path}@${m.version}`).sort();

/** With the upstream failing every request, the go command gets everything from modgate's cache. */
async function assertServedFromCache(modgate: ModgateProcess, name: string): Promise<void> {
  const removeFault = stack.upstream.addFault({ match: /./, status: 500, body: 'upstream down for this test\n' });
  stack.upstream.clearRequests();
  try {
    const cached = await goThrough(modgate.url, name);
    assert.deepEqual(cached.downloadAll, direct.downloadAll);
    assert.deepEqual(stack.upstream.requests.filter((p) => /\.(info|mod|zip)$/.test(p)), [], 'modgate asked the upstream for immutable files');
  } finally {
    removeFault();
  }
}

stack.before(async () => {
  const ref = await directReference({ fixture: stack.fixture, gosumdb: stack.sumdb.gosumdb, work: stack.work });
  const d = { downloadAll: ref.modules.map((m) => `${m.Path}@${m.Version}`).sort(), goSum: ref.goSum };
  const lines = d.goSum.split('\n').filter((l) => l !== '').map((l) => l.split(' '));
  direct = {
    ...d,
    goSumZips: lines.filter((f) => !f[1]!.endsWith('/go.mod')).map((f) => `${f[0]}@${f[1]}`).sort(),
    goSumMods: lines.filter((f) => f[1]!.endsWith('/go.mod')).map((f) => `${f[0]}@${f[1]!.slice(0, -'/go.mod'.length)}`).sort(),
  };
  assert.ok(direct.downloadAll.length >= 40, `go mod download all listed ${direct.downloadAll.length} modules`);
});


test('prewarm from go.mod fetches exactly the build list (.info/.mod/.zip) and the go.mod files of the pruned graph', async () => {
  const modgate = await freshModgate('cache-gomod');
  const { code, report, stderr } = await runPrewarm([join(stack.fixture.appDir, 'go.mod'), '--proxy', modgate.url, '--concurrency', '6']);
  assert.equal(code, 0, `prewarm failed: ${stderr}\n${JSON.stringify(report.failures, null, 2)}`);
  assert.equal(report.ok, true);
  assert.equal(report.totals.all.failed, 0);
  assert.equal(report.totals.all.cached, 0, 'fresh cache: nothing can be a hit');

  // The zip set is the build list: exactly what `go mod download all` downloads.
  assert.deepEqual(withFile(report, 'zip'), direct.downloadAll);
  assert.deepEqual(withFile(report, 'info'), direct.downloadAll);
  // The .mod set: the build list plus the go.mod files the go command reads to walk the graph,
  // which are exactly the "/go.mod" lines of the go.sum it wrote.
  assert.deepEqual(withFile(report, 'mod'), [...new Set([...direct.goSumMods, ...direct.downloadAll])].sort());

  await assertServedFromCache(modgate, 'after-gomod');

  // A second run finds everything in modgate's cache.
  const again = await runPrewarm([join(stack.fixture.appDir, 'go.mod'), '--proxy', modgate.url]);
  assert.equal(again.code, 0);
  assert.equal(again.report.totals.all.fetched, 0);
  assert.equal(again.report.totals.all.cached, report.totals.all.fetched);
});

test('prewarm from a go.sum the go command wrote, in a fresh cache', async () => {
  const modgate = await freshModgate('cache-gosum');
  const goSum = join(stack.work, 'go.sum');
  await writeFile(goSum, direct.goSum);
  const { code, report, stderr } = await runPrewarm([goSum, '--proxy', modgate.url]);
  assert.equal(code, 0, `prewarm failed: ${stderr}`);
  assert.deepEqual(withFile(report, 'zip'), direct.goSumZips);
  assert.deepEqual(withFile(report, 'mod'), [...new Set([...direct.goSumMods, ...direct.goSumZips])].sort());
  // `go mod download all` records a zip hash for every module it lists.
  assert.deepEqual(direct.goSumZips, direct.downloadAll);
  await assertServedFromCache(modgate, 'after-gosum');
});

test('prewarm reports failures with reasons and exits 1; module@version arguments fetch that version', async () => {
  const modgate = await freshModgate('cache-args');
  const one = direct.downloadAll[0]!;
  const { code, report } = await runPrewarm([one, 'example.com/not/there@v1.0.0', 'example.com/x@latest', '--proxy', modgate.url, '--retries', '0']);
  assert.equal(code, 1);
  assert.equal(report.ok, false);
  const [path, version] = one.split('@');
  assert.deepEqual(report.modules.find((m) => m.path === path && m.version === version)?.files, { info: 'fetched', mod: 'fetched', zip: 'fetched' });
  assert.deepEqual(report.failures.map((f) => `${f.module} .${f.file}`), ['example.com/not/there@v1.0.0 .info', 'example.com/not/there@v1.0.0 .mod', 'example.com/not/there@v1.0.0 .zip']);
  for (const f of report.failures) assert.match(f.reason, /^404/);
  assert.equal(report.errors.length, 1);
  assert.match(report.errors[0]!, /example\.com\/x@latest: expected module@version with a canonical/);

  const human = await runProcess(process.execPath, [BIN, 'prewarm', 'example.com/not/there@v1.0.0', '--proxy', modgate.url, '--retries', '0'], { timeoutMs: 60_000 });
  assert.equal(human.code, 1);
  assert.match(human.stdout, /FILES\s+FETCHED\s+ALREADY CACHED\s+FAILED/);
  assert.match(human.stdout, /example\.com\/not\/there@v1\.0\.0\s+\.zip\s+1\s+404/);
});
