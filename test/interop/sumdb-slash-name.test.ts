// A checksum database whose name has a '/' (the go command allows it; Go's own test database is
// `localhost.localdev/sumdb`), reached only through modgate's /sumdb/ proxy: the go command gets just
// the key (GOSUMDB=<vkey>, no URL), so it must find `<proxy>/sumdb/localhost.localdev/sumdb/supported`
// and verify through it — there is no network to fall back to. `go get` verifies a module, and
// `go list -m -u -retracted` shows the retraction declared in the latest version's go.mod.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startSumdb, type SumdbServer } from '../support/gohelper.js';
import { writeModuleZip } from '../support/module-zip.js';
import type { ModgateProcess } from '../support/modgate-process.js';
import { useTestStack } from '../support/test-stack.js';

const NAME = 'localhost.localdev/sumdb';
const MOD = 'example.com/retracted';
const stack = useTestStack({ name: 'sumdb-slash', sumdb: false });
let sumdb: SumdbServer;
let mg: ModgateProcess;

/** Writes path@version (.info, .mod, .zip) into a GOPROXY-layout dir. */
async function addVersion(root: string, version: string, goMod: string, time: string): Promise<void> {
  const dir = join(root, MOD, '@v');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${version}.info`), JSON.stringify({ Version: version, Time: time }));
  await writeFile(join(dir, `${version}.mod`), goMod);
  await writeModuleZip(join(dir, `${version}.zip`), MOD, version, { 'go.mod': goMod, 'retracted.go': `package retracted\n\nconst V = "${version}"\n` });
}

stack.before(async () => {
  const proxyDir = join(stack.work, 'proxy');
  await addVersion(proxyDir, 'v1.0.0', `module ${MOD}\n\ngo 1.18\n`, '2024-01-01T00:00:00Z');
  // The latest version retracts the first one (the go command reads retractions from the latest go.mod).
  await addVersion(proxyDir, 'v1.1.0', `module ${MOD}\n\ngo 1.18\n\n// v1.0.0 deletes files it should not.\nretract v1.0.0\n`, '2024-02-01T00:00:00Z');
  await writeFile(join(proxyDir, MOD, '@v', 'list'), 'v1.0.0\nv1.1.0\n');
  sumdb = await startSumdb({ proxyDir, name: NAME, log: true });
  stack.defer(() => sumdb.stop());
  assert.equal(sumdb.name, NAME);
  const upstream = await stack.startProxy(proxyDir);
  mg = await stack.startModgate({ upstream: upstream.url, sumdb: sumdb.gosumdb });
});

test(`a checksum database named ${NAME} verifies through modgate's /sumdb/ proxy; retractions are shown`, async () => {
  // Only the key: the go command finds the database through GOPROXY's /sumdb/ (or fails: no network).
  const env = await stack.goEnv({ GOPROXY: mg.url, GOSUMDB: sumdb.vkey });
  const app = await mkdtemp(join(stack.work, 'app-'));
  await writeFile(join(app, 'go.mod'), 'module example.com/app\n\ngo 1.18\n');
  const supported = await fetch(`${mg.url}/sumdb/${NAME}/supported`);
  assert.equal(supported.status, 200, await supported.text());

  const get = await env.run(['get', `${MOD}@v1.0.0`], { cwd: app });
  assert.equal(get.code, 0, `go get failed:\n${get.stderr}`);
  assert.match(get.stderr, /retracted by module author/, get.stderr);
  // Verified: the go command fetched lookups and tiles of the database through modgate.
  const cached = await readdir(join(env.gomodcache, 'cache', 'download', 'sumdb', ...NAME.split('/')), { recursive: true });
  assert.ok(cached.some((f) => String(f).startsWith('lookup')), `no verified lookup in the go command's cache: ${cached.join(' ')}`);
  assert.ok(sumdb.requests.some((r) => r.startsWith(`/lookup/${MOD}@v1.0.0`)), `the database was not asked: ${sumdb.requests.join(' ')}`);
  const viaModgate = mg.logs.filter((l) => l.msg === 'request' && typeof l.path === 'string' && l.path.startsWith(`/sumdb/${NAME}/`) && l.status === 200);
  assert.ok(viaModgate.some((l) => String(l.path).includes('/lookup/')), 'no lookup went through modgate');
  assert.ok(viaModgate.some((l) => String(l.path).includes('/tile/')), 'no tile went through modgate');

  const list = await env.run(['list', '-m', '-u', '-retracted', '-json', MOD], { cwd: app });
  assert.equal(list.code, 0, list.stderr);
  const info = JSON.parse(list.stdout) as { Version: string; Retracted?: string[]; Update?: { Version: string } };
  assert.equal(info.Version, 'v1.0.0');
  assert.deepEqual(info.Retracted, ['v1.0.0 deletes files it should not.']);
  assert.equal(info.Update?.Version, 'v1.1.0');
  // @latest skips the retracted version.
  const latest = await env.run(['list', '-m', `${MOD}@latest`], { cwd: app });
  assert.equal(latest.code, 0, latest.stderr);
  assert.equal(latest.stdout.trim(), `${MOD} v1.1.0`);
});
