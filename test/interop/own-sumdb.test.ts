// modgate's own checksum database with the real go command as client: GOSUMDB = modgate's database
// and GONOSUMDB/GOPRIVATE empty build the fixture app plus a private module from git; public go.sum
// lines equal those made against the upstream database; x/mod's reference code verifies the log;
// a force-pushed tag and a tampered mirror are refused after first admission (the go command's
// build fails with modgate's explanation); `sumdb audit` witnesses the log and catches a forgery.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFixture, copyFixtureApp, startSumdb, verifyLogGo, type Fixture, type SumdbServer } from '../support/gohelper.js';
import { startFileProxy, type FileProxyServer } from '../support/file-proxy-server.js';
import { createGoEnv, goModDownloadJson } from '../support/go-env.js';
import { directReference } from '../support/fixture-build.js';
import { startModgate, type ModgateProcess } from '../support/modgate-process.js';
import { createTestRepo, gitRewriteConfig, type TestRepo } from '../support/git-repos.js';
import { runProcess } from '../support/process-runner.js';
import { escapePath, escapeVersion } from '../../src/module/escape.js';
import { buildZip } from '../../src/zip/zip-test-writer.js';
import { readZipEntries } from '../support/zip-tamper.js';

const BIN = fileURLToPath(new URL('../../bin/modgate', import.meta.url));
const NAME = 'sum.corp.example.com';
const PRIVATE = 'example.com/secret.git';
let fixture: Fixture;
let sumdb: SumdbServer;
let upstream: FileProxyServer;
let work: string;
let repo: TestRepo;
let keyFile: string;
let vkey: string;
let gitConfig: string;
let mg: ModgateProcess;
const procs: ModgateProcess[] = [];
/** Every signed tree head seen during the tests (x/mod checks each is a prefix of the last). */
const notes: string[] = [];

const modgateCli = (args: readonly string[]) => runProcess(process.execPath, [BIN, ...args], { timeoutMs: 60_000 });
const dbUrl = (p: ModgateProcess) => `${p.url}/sumdb/${NAME}`;

async function startWithOwnDb(name: string, extra: readonly string[] = [], up = upstream.url): Promise<ModgateProcess> {
  const p = await startModgate({
    args: ['--cache-dir', join(work, name), '--upstream', up, '--sumdb', sumdb.gosumdb, '--private', PRIVATE, '--git-config', gitConfig,
      '--git-refresh-seconds', '0', '--memory-cache-bytes', '0', '--own-sumdb', NAME, '--own-sumdb-key-file', keyFile, '--admin-tokens', 'adm', ...extra],
  });
  procs.push(p);
  return p;
}

async function seeTree(p: ModgateProcess): Promise<void> {
  const r = await fetch(`${dbUrl(p)}/latest`);
  assert.equal(r.status, 200);
  notes.push(await r.text());
}

before(async () => {
  fixture = await buildFixture();
  work = await mkdtemp(join(tmpdir(), 'modgate-own-sumdb-'));
  sumdb = await startSumdb({ proxyDir: fixture.proxyDir, log: true });
  upstream = await startFileProxy({ dir: fixture.proxyDir });
  repo = await createTestRepo(work, 'secret');
  await repo.write({ 'go.mod': `module ${PRIVATE}\n\ngo 1.17\n`, 'secret.go': 'package secret\n\nconst Answer = 42\n' });
  await repo.commit('first', 1_700_000_000);
  await repo.tag('v1.0.0');
  gitConfig = gitRewriteConfig(work).map(([k, v]) => `${k}=${v}`).join(';');
  keyFile = join(work, 'own-sumdb.key');
  const gen = await modgateCli(['sumdb', 'keygen', NAME, '--out', keyFile]);
  assert.equal(gen.code, 0, gen.stderr);
  vkey = gen.stdout.split('\n')[0]!;
  assert.match(vkey, /^sum\.corp\.example\.com\+[0-9a-f]{8}\+/);
  mg = await startWithOwnDb('cache');
});

after(async () => {
  for (const p of procs) await p.kill();
  await upstream?.stop();
  await sumdb?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('without a key, serve refuses to start and says how to make one', async () => {
  const r = await runProcess(process.execPath, [BIN, 'serve', '--listen', '127.0.0.1:0', '--cache-dir', join(work, 'nokey'), '--own-sumdb', NAME], { timeoutMs: 30_000, env: { ...process.env, MODGATE_OWN_SUMDB_KEY: '' } });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /needs a signer key[\s\S]*modgate sumdb keygen/);
});

test('go builds the fixture app plus a private git module with GOSUMDB = modgate\'s own database and nothing excluded', async () => {
  const env = await createGoEnv({ GOPROXY: mg.url, GOSUMDB: vkey, GONOSUMDB: '', GOPRIVATE: '', sharedBuildCache: true });
  let goSum: string;
  try {
    const app = await copyFixtureApp(fixture, join(work, 'own'));
    await writeFile(join(app, 'secret.go'), `package main\n\nimport _ "${PRIVATE}"\n`);
    await appendFile(join(app, 'go.mod'), `\nrequire ${PRIVATE} v1.0.0\n`);
    const build = await env.run(['build', '-o', join(work, 'own.bin'), '.'], { cwd: app });
    assert.equal(build.code, 0, build.stderr);
    const dl = await goModDownloadJson(app, env);
    assert.equal(dl.code, 0, dl.stderr);
    goSum = await readFile(join(app, 'go.sum'), 'utf8');
  } finally {
    await env.cleanup();
  }
  const privateLines = goSum.split('\n').filter((l) => l.startsWith(`${PRIVATE} `));
  assert.equal(privateLines.length, 2, 'the go command verified the private module against modgate\'s database');
  // The same build against the upstream database directly: identical public lines.
  const direct = await directReference({ fixture, gosumdb: sumdb.gosumdb, work });
  const publicLines = goSum.split('\n').filter((l) => l !== '' && !l.startsWith(`${PRIVATE} `)).sort();
  assert.deepEqual(publicLines, direct.goSum.split('\n').filter((l) => l !== '').sort());
  assert.deepEqual(sumdb.requests.filter((p) => p.includes('secret')), [], 'the private path never reached the public database');
  await seeTree(mg);

  // The database URL itself as GOSUMDB (no proxy discovery), fresh module cache: same go.sum.
  const env2 = await createGoEnv({ GOPROXY: mg.url, GOSUMDB: `${vkey} ${dbUrl(mg)}`, GONOSUMDB: '', GOPRIVATE: '', sharedBuildCache: true });
  try {
    const app = await copyFixtureApp(fixture, join(work, 'own-url'));
    await writeFile(join(app, 'secret.go'), `package main\n\nimport _ "${PRIVATE}"\n`);
    await appendFile(join(app, 'go.mod'), `\nrequire ${PRIVATE} v1.0.0\n`);
    const dl = await goModDownloadJson(app, env2);
    assert.equal(dl.code, 0, dl.stderr);
    const build = await env2.run(['build', '-o', join(work, 'own-url.bin'), '.'], { cwd: app });
    assert.equal(build.code, 0, build.stderr);
    assert.deepEqual((await readFile(join(app, 'go.sum'), 'utf8')).split('\n').sort(), goSum.split('\n').sort());
  } finally {
    await env2.cleanup();
  }

  // verify-gosum accepts this database like any other: every line, private ones included, is ok.
  const sumFile = join(work, 'own.go.sum');
  await writeFile(sumFile, goSum);
  const v = await modgateCli(['verify-gosum', '--sumdb', `${vkey} ${dbUrl(mg)}`, '--nosumdb', '', sumFile]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stdout, new RegExp(`^${goSum.split('\n').filter((l) => l !== '').length} ok, 0 mismatched`, 'm'));

  // Go's reference code checks every record and lookup of the log.
  const lookups = [...new Set(goSum.split('\n').filter((l) => l !== '').map((l) => `${l.split(' ')[0]}@${l.split(' ')[1]!.replace(/\/go\.mod$/, '')}`))];
  const r = await verifyLogGo({ url: dbUrl(mg), vkey, lookups, notes });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.duplicates, []);
  assert.ok(r.records.includes(`${PRIVATE}@v1.0.0`));
  for (const l of lookups) assert.ok(r.records.includes(l), `${l} is recorded`);
  const metrics = await (await fetch(`${mg.url}/metrics`)).text();
  assert.match(metrics, new RegExp(`^modgate_own_sumdb_records ${r.size}$`, 'm'));

  // verify-cache checks cached files against their records (private ones included).
  const vc = ['verify-cache', '--cache-dir', join(work, 'cache'), '--sumdb', sumdb.gosumdb, '--private', PRIVATE, '--own-sumdb', NAME, '--own-sumdb-key-file', keyFile];
  const okRun = await modgateCli(vc);
  assert.equal(okRun.code, 0, okRun.stdout + okRun.stderr);
  const modFile = join(work, 'cache', PRIVATE, '@v', 'v1.0.0.mod');
  const original = await readFile(modFile);
  await writeFile(modFile, Buffer.concat([original, Buffer.from('// changed on disk\n')]));
  try {
    const bad = await modgateCli(vc);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /does not match the record in the own checksum database/);
  } finally {
    await writeFile(modFile, original);
  }
});

test('after first admission, a force-pushed tag and a tampered mirror are refused; go build fails with modgate\'s explanation', async () => {
  // Admission of the private module and of one public module (lookups admit what is not recorded yet).
  const pub = fixture.manifest.modules.find((m) => !m.stub && m.selected !== '' && m.path.startsWith('github.com/'))!;
  for (const [p, v] of [[PRIVATE, 'v1.0.0'], [pub.path, pub.selected]] as const) {
    const r = await fetch(`${dbUrl(mg)}/lookup/${escapePath(p)}@${escapeVersion(v)}`);
    assert.equal(r.status, 200, await r.text());
  }
  await seeTree(mg);
  // History rewritten: v1.0.0 now points at other content; the cached copy purged by an operator.
  await repo.write({ 'secret.go': 'package secret\n\nconst Answer = 43\n' });
  await repo.commit('rewritten', 1_700_000_100);
  await repo.git(['tag', '-f', 'v1.0.0']);
  // A mirror that now serves a tampered zip of the public module.
  const rel = `/${escapePath(pub.path)}/@v/${escapeVersion(pub.selected)}.zip`;
  const clean = await readFile(join(fixture.proxyDir, rel));
  const tampered = buildZip([...(await readZipEntries(clean)), { name: `${pub.path}@${pub.selected}/backdoor.go`, data: 'package x\n' }]);
  upstream.addFault({ match: rel, transform: () => tampered });
  for (const [p, v] of [[PRIVATE, 'v1.0.0'], [pub.path, pub.selected]] as const) {
    for (const ext of ['zip', 'ziphash']) await rm(join(work, 'cache', escapePath(p), '@v', `${escapeVersion(v)}.${ext}`), { force: true });
  }
  assert.equal((await fetch(`${mg.url}/${PRIVATE}/@v/list`)).status, 200);

  const env = await createGoEnv({ GOPROXY: mg.url, GOSUMDB: vkey, GONOSUMDB: '', GOPRIVATE: '', sharedBuildCache: true });
  try {
    const dir = await mkdtemp(join(work, 'forced-'));
    // go build of an app that uses the private module fails with modgate's explanation.
    await writeFile(join(dir, 'go.mod'), `module example.com/user\n\ngo 1.17\n\nrequire ${PRIVATE} v1.0.0\n`);
    await writeFile(join(dir, 'main.go'), `package main\n\nimport secret "${PRIVATE}"\n\nfunc main() { println(secret.Answer) }\n`);
    const build = await env.run(['build', '-o', join(dir, 'user.bin'), '.'], { cwd: dir });
    assert.notEqual(build.code, 0);
    const shown = build.stderr;
    assert.match(shown, new RegExp(`checksum mismatch[\\s\\S]*recorded in ${NAME.replace(/\./g, '\\.')} \\(record \\d+\\): h1:[\\s\\S]*upstream served now: h1:`));
    const dl2 = await goModDownloadJson(dir, env, [`${pub.path}@${pub.selected}`]);
    assert.notEqual(dl2.code, 0);
    assert.match(dl2.stderr + dl2.modules.map((m) => m.Error ?? '').join('\n'), /checksum mismatch[\s\S]*recorded in sum\.corp\.example\.com/);
  } finally {
    await env.cleanup();
  }
  const events = await (await fetch(`${mg.url}/admin/events?type=record_mismatch`, { headers: { authorization: 'Bearer adm' } })).json() as { events: Array<{ details: { module: string; expected: string; received: string } }> };
  for (const p of [PRIVATE, pub.path]) {
    const e = events.events.find((x) => x.details.module === p);
    assert.ok(e, `record_mismatch event for ${p}`);
    assert.notEqual(e.details.expected, e.details.received);
  }
  const metrics = await (await fetch(`${mg.url}/metrics`)).text();
  const refusals = metrics.split('\n').filter((l) => l.startsWith('modgate_own_sumdb_refusals_total{')).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
  assert.ok(refusals >= 2, metrics);
  // The dashboard's overview shows the log size, the last tree time and the refusals.
  const overview = (await (await fetch(`${mg.url}/api/overview`)).json()) as { ownSumdb?: { size: number; lastTreeTime?: string; refusals: number }; usage: { gosumdb: string } };
  assert.ok(overview.ownSumdb && overview.ownSumdb.size > 0, JSON.stringify(overview));
  assert.ok(!Number.isNaN(Date.parse(overview.ownSumdb.lastTreeTime ?? '')));
  assert.equal(overview.ownSumdb.refusals, refusals);
  assert.ok(overview.usage.gosumdb.includes(vkey));
  await seeTree(mg);
  const r = await verifyLogGo({ url: dbUrl(mg), vkey, notes });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.duplicates, []);
});

test('sumdb audit witnesses the log and fails loudly on a forged history signed with the same key', async () => {
  const state = join(work, 'audit.json');
  const first = await modgateCli(['sumdb', 'audit', dbUrl(mg), '--key', vkey, '--state', state]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^ok: tree \d+/);
  const again = await modgateCli(['sumdb', 'audit', dbUrl(mg), '--state', state]);
  assert.equal(again.code, 0, again.stderr);
  // Another modgate with the same key and another cache: another, shorter history.
  const forged = await startWithOwnDb('forged');
  const pub = fixture.manifest.modules.filter((m) => !m.stub && m.selected !== '').at(-1)!;
  assert.equal((await fetch(`${dbUrl(forged)}/lookup/${escapePath(pub.path)}@${escapeVersion(pub.selected)}`)).status, 200);
  const bad = await modgateCli(['sumdb', 'audit', dbUrl(forged), '--state', state]);
  assert.equal(bad.code, 1, bad.stdout);
  assert.match(bad.stderr, /SECURITY ERROR: checksum database (was rewound|forked)/);
  // The honest log still passes against the kept state.
  assert.equal((await modgateCli(['sumdb', 'audit', dbUrl(mg), '--state', state])).code, 0);
});
