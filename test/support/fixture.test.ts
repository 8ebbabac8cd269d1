// Proves the Go reference side sound: the real go command builds the fixture app from the fixture
// proxy (file:// and over HTTP) verified by the gohelper checksum database; the one-shot x/mod
// utilities answer as expected on a small zip; the harness pieces behave as documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildFixture,
  checkPathGo,
  checkZipGo,
  copyFixtureApp,
  createZipGo,
  DEFAULT_FIXTURE_ROOTS,
  escapePathGo,
  FIXTURE_MODULES_FILE,
  goHelperBinary,
  hashModGo,
  hashZipGo,
  startSumdb,
  writeTree,
} from './gohelper.js';
import { startFileProxy } from './file-proxy-server.js';
import { createGoEnv, goModDownloadJson, parseJsonStream } from './go-env.js';
import { runProcess } from './process-runner.js';

const GOCODE_SRC = '/usr/share/gocode/src';
const hasSource = (path: string) => stat(join(GOCODE_SRC, path)).then(() => true, () => false);

/** The fixture module list: module path → Debian package. */
async function listedModules(): Promise<Map<string, string>> {
  const lines = (await readFile(FIXTURE_MODULES_FILE, 'utf8')).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
  return new Map(lines.map((l) => l.trim().split(/\s+/) as [string, string]));
}

/** Runs gohelper build-fixture into a temp dir with this module list; the manifest on success. */
async function buildFixtureWith(dir: string, roots: readonly string[], modules: ReadonlyMap<string, string>) {
  const list = join(dir, 'modules.txt');
  await writeFile(list, [...modules].map(([p, pkg]) => `${p} ${pkg}\n`).join(''));
  const out = join(dir, 'out');
  const r = await runProcess(await goHelperBinary(), ['build-fixture', '-src', GOCODE_SRC, '-out', out, '-roots', roots.join(','), '-modules', list], { timeoutMs: 300_000 });
  const manifest = r.code === 0 ? (JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { modules: Array<{ path: string; stub: boolean }> }) : undefined;
  return { code: r.code, stderr: r.stderr, manifest };
}

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-fixture-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void test('fixture: a realistic graph whose app builds with the go command against the proxy and sumdb', { timeout: 600_000 }, async () => {
  const fixture = await buildFixture();
  const { manifest } = fixture;
  assert.ok(manifest.modules.length >= 50, `only ${manifest.modules.length} modules`);
  const real = manifest.modules.filter((m) => !m.stub);
  assert.ok(real.length >= 20, `only ${real.length} Debian modules`);
  for (const imp of manifest.imports) {
    const owner = manifest.modules.filter((m) => imp === m.path || imp.startsWith(`${m.path}/`)).sort((a, b) => b.path.length - a.path.length)[0];
    assert.ok(owner && !owner.stub, `${imp} comes from a stub`);
  }

  const sumdb = await startSumdb({ proxyDir: fixture.proxyDir, log: true });
  const env = await createGoEnv({ GOPROXY: `file://${fixture.proxyDir}`, GOSUMDB: sumdb.gosumdb, sharedBuildCache: true });
  try {
    await withTempDir(async (dir) => {
      const app = await copyFixtureApp(fixture, dir);
      const build = await env.run(['build', '-o', join(dir, 'app.bin'), '.'], { cwd: app });
      assert.equal(build.code, 0, build.stderr);
      const goSum = await readFile(join(app, 'go.sum'), 'utf8');
      assert.match(goSum, /^github\.com\/spf13\/cobra v1\.6\.1 h1:/m);
      assert.ok(sumdb.requests.some((r) => r.startsWith('/lookup/github.com/spf13/cobra@')), sumdb.requests.join('\n'));

      const dl = await goModDownloadJson(app, env);
      assert.equal(dl.code, 0, dl.stderr);
      assert.ok(dl.modules.length >= 20);
      for (const m of dl.modules) assert.equal(m.Error, undefined, `${m.Path}@${m.Version}: ${m.Error ?? ''}`);
      // The go.sum lines the go command computed agree with the helper's hashes.
      const cobra = dl.modules.find((m) => m.Path === 'github.com/spf13/cobra');
      assert.ok(cobra?.Zip !== undefined && cobra.GoMod !== undefined);
      assert.equal(await hashZipGo(cobra.Zip), cobra.Sum);
      assert.equal(await hashModGo(cobra.GoMod), cobra.GoModSum);
    });
  } finally {
    await env.cleanup();
    await sumdb.stop();
  }
});

void test('fixture: the modules built from source are exactly those of fixture-modules.txt', { timeout: 600_000 }, async () => {
  const fixture = await buildFixture();
  const listed = await listedModules();
  assert.deepEqual(fixture.manifest.modules.filter((m) => !m.stub).map((m) => m.path).sort(), [...listed.keys()].sort());
});

void test('build-fixture: an installed source that is not listed stays a stub (extra Debian packages change nothing)', { timeout: 600_000 }, async () => {
  // logrus requires testify, go-spew and go-difflib, whose sources are installed: unlisted, they are stubs.
  const listed = await listedModules();
  const modules = new Map([...listed].filter(([p]) => p === 'github.com/sirupsen/logrus' || p === 'golang.org/x/sys'));
  assert.equal(modules.size, 2);
  assert.ok(await hasSource('github.com/stretchr/testify'));
  await withTempDir(async (dir) => {
    const r = await buildFixtureWith(dir, ['github.com/sirupsen/logrus'], modules);
    assert.equal(r.code, 0, r.stderr);
    const real = r.manifest!.modules.filter((m) => !m.stub).map((m) => m.path).sort();
    assert.deepEqual(real, ['github.com/sirupsen/logrus', 'golang.org/x/sys']);
    const stubs = r.manifest!.modules.filter((m) => m.stub).map((m) => m.path);
    for (const p of ['github.com/stretchr/testify', 'github.com/davecgh/go-spew']) assert.ok(stubs.includes(p), `${p} is not a stub: ${stubs.join(' ')}`);
  });
});

void test('build-fixture: a listed module whose source is not installed fails naming its package; so does an unreached one', { timeout: 600_000 }, async () => {
  const fixture = await buildFixture();
  // A module the graph reaches whose source this machine does not have.
  let absent: string | undefined;
  for (const m of fixture.manifest.modules.filter((x) => x.stub)) {
    if (!(await hasSource(m.path))) {
      absent = m.path;
      break;
    }
  }
  assert.ok(absent !== undefined, 'every stub has an installed source');
  const listed = await listedModules();
  await withTempDir(async (dir) => {
    const missing = await buildFixtureWith(dir, DEFAULT_FIXTURE_ROOTS, new Map([...listed, [absent, 'golang-example-absent-dev']]));
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, new RegExp(`${absent.replace(/[.]/g, '\\.')}: source not installed; install Debian package golang-example-absent-dev`));
    assert.match(missing.stderr, /scripts\/ensure-deps\.sh/);
    const unreached = await buildFixtureWith(dir, DEFAULT_FIXTURE_ROOTS, new Map([...listed, ['example.com/unreached', 'golang-example-unreached-dev']]));
    assert.notEqual(unreached.code, 0);
    assert.match(unreached.stderr, /example\.com\/unreached \(golang-example-unreached-dev\): listed but not reached from the roots/);
  });
});

void test('fixture: served over HTTP by the file proxy server, with request counting', { timeout: 600_000 }, async () => {
  const fixture = await buildFixture();
  const proxy = await startFileProxy({ dir: fixture.proxyDir });
  const sumdb = await startSumdb({ proxyDir: fixture.proxyDir });
  const env = await createGoEnv({ GOPROXY: proxy.url, GOSUMDB: sumdb.gosumdb, sharedBuildCache: true });
  try {
    await withTempDir(async (dir) => {
      const app = await copyFixtureApp(fixture, dir);
      const r = await env.run(['mod', 'download', 'github.com/spf13/cobra'], { cwd: app });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(proxy.count('/github.com/spf13/cobra/@v/v1.6.1.zip'), 1, proxy.requests.join('\n'));
      const res = await fetch(`${proxy.url}/example.com/missing/@v/list`);
      assert.equal(res.status, 404);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    });
  } finally {
    await env.cleanup();
    await sumdb.stop();
    await proxy.stop();
  }
});

void test('sumdb: same key file → same key; deny answers 404 for lookups', { timeout: 120_000 }, async () => {
  const fixture = await buildFixture();
  await withTempDir(async (dir) => {
    const keyFile = join(dir, 'key');
    const a = await startSumdb({ proxyDir: fixture.proxyDir, keyFile, name: 'sum.fork.test', deny: ['github.com/spf13'], log: true });
    await a.stop();
    const b = await startSumdb({ proxyDir: fixture.proxyDir, keyFile, deny: ['github.com/spf13'], log: true });
    try {
      assert.equal(b.vkey, a.vkey);
      assert.equal(b.name, 'sum.fork.test');
      const denied = await fetch(`${b.url}/lookup/github.com/spf13/cobra@v1.6.1`);
      assert.equal(denied.status, 404);
      const ok = await fetch(`${b.url}/lookup/gopkg.in/yaml.v3@v3.0.1`);
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /^0\ngopkg\.in\/yaml\.v3 v3\.0\.1 h1:.*\n.*\/go\.mod h1:.*\n\ngo\.sum database tree\n1\n/);
      const missing = await fetch(`${b.url}/lookup/example.com/missing@v1.0.0`);
      assert.equal(missing.status, 404);
      assert.deepEqual(b.requests.slice(0, 3), ['/lookup/github.com/spf13/cobra@v1.6.1', '/lookup/gopkg.in/yaml.v3@v3.0.1', '/lookup/example.com/missing@v1.0.0']);
    } finally {
      await b.stop();
    }
  });
});

void test('gohelper utilities on a small module', { timeout: 120_000 }, async () => {
  await goHelperBinary();
  await withTempDir(async (dir) => {
    const src = join(dir, 'src');
    await writeTree(src, {
      'go.mod': 'module example.com/small\n\ngo 1.17\n',
      'small.go': 'package small\n',
      'sub/go.mod': 'module example.com/small/sub\n',
      'sub/x.go': 'package sub\n',
      'vendor/example.com/v/v.go': 'package v\n',
    });
    const zipFile = join(dir, 'small.zip');
    const created = await createZipGo({ path: 'example.com/small', version: 'v1.0.0', dir: src, out: zipFile });
    assert.equal(created.error, null);
    assert.match(created.h1 ?? '', /^h1:[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(created.check.valid, ['go.mod', 'small.go']);
    // x/mod 0.7.0 lists the vendored package's directory as omitted too.
    assert.deepEqual(created.check.omitted.map((f) => f.path).sort(), ['sub', 'vendor/example.com/v', 'vendor/example.com/v/v.go']);

    assert.equal(await hashZipGo(zipFile), created.h1);
    const checked = await checkZipGo({ path: 'example.com/small', version: 'v1.0.0', file: zipFile });
    assert.equal(checked.error, null);
    // CheckZip reports zip entry names.
    assert.deepEqual(checked.valid, ['example.com/small@v1.0.0/go.mod', 'example.com/small@v1.0.0/small.go']);
    const wrong = await checkZipGo({ path: 'example.com/other', version: 'v1.0.0', file: zipFile });
    assert.notEqual(wrong.error, null);

    const empty = join(dir, 'empty.mod');
    await writeFile(empty, '');
    assert.equal(await hashModGo(empty), 'h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY=');
  });

  const good = await checkPathGo('github.com/BurntSushi/toml');
  assert.equal(good.checkPath, null);
  const bad = await checkPathGo('example.com/con.txt/x');
  assert.notEqual(bad.checkImportPath, null);
  const esc = await escapePathGo('github.com/BurntSushi/toml');
  assert.equal(esc.escaped, 'github.com/!burnt!sushi/toml');
  assert.equal((await escapePathGo('github.com/!burnt!sushi/toml')).unescaped, 'github.com/BurntSushi/toml');
});

void test('parseJsonStream splits concatenated objects', () => {
  const text = '{\n\t"Path": "a",\n\t"Error": "x } {"\n}\n{\n\t"Path": "b"\n}\n';
  assert.deepEqual(parseJsonStream(text), [{ Path: 'a', Error: 'x } {' }, { Path: 'b' }]);
});

void test('sumdb: a restart with the same key and a fresh tree is seen by the go command as a fork', { timeout: 300_000 }, async () => {
  const fixture = await buildFixture();
  await withTempDir(async (dir) => {
    const keyFile = join(dir, 'key');
    const first = await startSumdb({ proxyDir: fixture.proxyDir, keyFile });
    const env = await createGoEnv({ GOPROXY: `file://${fixture.proxyDir}`, GOSUMDB: first.gosumdb });
    try {
      const app = await copyFixtureApp(fixture, dir);
      const a = await env.run(['mod', 'download', 'github.com/spf13/pflag'], { cwd: app });
      assert.equal(a.code, 0, a.stderr);
      await first.stop();
      const second = await startSumdb({ proxyDir: fixture.proxyDir, keyFile });
      try {
        assert.equal(second.vkey, first.vkey);
        const b = await env.run(['mod', 'download', 'gopkg.in/yaml.v3'], { cwd: app, extraEnv: { GOSUMDB: second.gosumdb } });
        assert.notEqual(b.code, 0);
        assert.match(b.stderr, /SECURITY ERROR|misbehavior|fork/i);
      } finally {
        await second.stop();
      }
    } finally {
      await env.cleanup();
      await first.stop();
    }
  });
});
