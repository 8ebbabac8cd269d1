// The version policy with the real go command (issue 15): a tiny module in a local upstream with a
// retracted version (v1.1.0, retracted by the newer go.mods), a version in a denied range (v1.2.0)
// and one younger than the cool-down (v1.3.0, published an hour ago). Enforced: `go get m@latest`
// picks v1.0.0, the newest admitted; an explicit `go get m@vREFUSED` fails with modgate's reason
// (rule and version) shown by the go command; refusals are counted by rule and logged as events.
// The policy file is then switched to dry-run and picked up on change: `go get m@latest` gets
// v1.3.0, and the would-be refusals are reported with mode="dry-run".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startSumdb, type SumdbServer } from '../support/gohelper.js';
import { writeModuleZip } from '../support/module-zip.js';
import type { ModgateProcess } from '../support/modgate-process.js';
import { useTestStack } from '../support/test-stack.js';
import { waitFor } from '../support/wait-for.js';

const MOD = 'example.com/vetted';
const stack = useTestStack({ name: 'version-policy', sumdb: false });
let sumdb: SumdbServer;
let mg: ModgateProcess;
let policyFile: string;

const policy = (mode: 'enforce' | 'dry-run') => JSON.stringify({ mode, coolDown: '24h', rules: [{ modules: MOD, deny: ['>=v1.2.0 <v1.3.0'] }] });

async function addVersion(root: string, version: string, time: string, retracts: boolean): Promise<void> {
  const dir = join(root, MOD, '@v');
  await mkdir(dir, { recursive: true });
  const goMod = `module ${MOD}\n\ngo 1.18\n${retracts ? '\n// v1.1.0 corrupts its input.\nretract v1.1.0\n' : ''}`;
  await writeFile(join(dir, `${version}.info`), JSON.stringify({ Version: version, Time: time }));
  await writeFile(join(dir, `${version}.mod`), goMod);
  await writeModuleZip(join(dir, `${version}.zip`), MOD, version, { 'go.mod': goMod, 'vetted.go': `package vetted\n\nconst V = "${version}"\n` });
}

stack.before(async () => {
  const proxyDir = join(stack.work, 'proxy');
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  await addVersion(proxyDir, 'v1.0.0', '2024-01-01T00:00:00Z', false);
  await addVersion(proxyDir, 'v1.1.0', '2024-02-01T00:00:00Z', false);
  await addVersion(proxyDir, 'v1.2.0', '2024-03-01T00:00:00Z', true);
  await addVersion(proxyDir, 'v1.3.0', hourAgo, true);
  await writeFile(join(proxyDir, MOD, '@v', 'list'), 'v1.0.0\nv1.1.0\nv1.2.0\nv1.3.0\n');
  sumdb = await startSumdb({ proxyDir });
  stack.defer(() => sumdb.stop());
  policyFile = join(stack.work, 'policy.json');
  await writeFile(policyFile, policy('enforce'));
  const upstream = await stack.startProxy(proxyDir);
  mg = await stack.startModgate({ upstream: upstream.url, sumdb: sumdb.gosumdb, args: ['--policy', policyFile, '--prefetch', 'false'] });
});

async function newApp(name: string) {
  const env = await stack.goEnv({ GOPROXY: mg.url, GOSUMDB: sumdb.gosumdb, sharedBuildCache: true });
  const app = await mkdtemp(join(stack.work, `${name}-`));
  await writeFile(join(app, 'go.mod'), 'module example.com/app\n\ngo 1.18\n');
  return { env, app, selected: async () => (await env.run(['list', '-m', MOD], { cwd: app })).stdout.trim() };
}

const metric = async (rule: string, mode: string): Promise<number> => {
  const text = await (await fetch(`${mg.url}/metrics`)).text();
  const m = new RegExp(`^modgate_policy_refusals_total\\{rule="${rule}",mode="${mode}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
};
const events = (mode: string) => mg.logs.filter((l) => l.event === 'policy_refusal' && l.mode === mode).map((l) => `${String(l.version)} ${String(l.rule)}`);

test('enforced: @latest picks the newest admitted version; refused versions fail with the rule shown by go', async () => {
  const { env, app, selected } = await newApp('enforce');
  const latest = await env.run(['get', `${MOD}@latest`], { cwd: app });
  assert.equal(latest.code, 0, latest.stderr);
  assert.equal(await selected(), `${MOD} v1.0.0`);
  const versions = await env.run(['list', '-m', '-versions', MOD], { cwd: app });
  assert.equal(versions.stdout.trim(), `${MOD} v1.0.0`, 'the list shows admitted versions only');

  const reasons: Array<[string, RegExp]> = [
    ['v1.1.0', /refused by the version policy \(retracted\): retracted by the module's go\.mod at v1\.3\.0: v1\.1\.0 corrupts its input\./],
    ['v1.2.0', /refused by the version policy \(deny-range\): in the denied range ">=v1\.2\.0 <v1\.3\.0"/],
    ['v1.3.0', /refused by the version policy \(cool-down\): published \S+; the 24h cool-down admits it from \S+/],
  ];
  for (const [v, reason] of reasons) {
    const r = await env.run(['get', `${MOD}@${v}`], { cwd: app });
    assert.notEqual(r.code, 0, `go get ${MOD}@${v} succeeded`);
    assert.match(r.stderr, /403 Forbidden/);
    assert.ok(r.stderr.includes(`${MOD}@${v}: refused by the version policy`), r.stderr);
    assert.match(r.stderr, reason);
  }
  assert.equal(await selected(), `${MOD} v1.0.0`);
  for (const rule of ['retracted', 'deny-range', 'cool-down']) assert.ok((await metric(rule, 'enforce')) >= 1, `no ${rule} refusal counted`);
  assert.deepEqual(events('enforce').sort(), ['v1.1.0 retracted', 'v1.2.0 deny-range', 'v1.3.0 cool-down']);
  // The zips of refused versions were never fetched into the cache.
  const zips = mg.logs.filter((l) => l.msg === 'request' && l.kind === 'zip' && l.status === 200).map((l) => l.version);
  assert.deepEqual(zips, ['v1.0.0']);
});

test('dry-run (the policy file changed while serving): admitted and reported', async () => {
  await writeFile(policyFile, policy('dry-run'));
  await waitFor('the policy reload', async () => mg.logs.some((l) => l.msg === 'version policy reloaded'));
  const { env, app, selected } = await newApp('dry-run');
  const latest = await env.run(['get', `${MOD}@latest`], { cwd: app });
  assert.equal(latest.code, 0, latest.stderr);
  assert.equal(await selected(), `${MOD} v1.3.0`);
  const denied = await env.run(['get', `${MOD}@v1.2.0`], { cwd: app });
  assert.equal(denied.code, 0, denied.stderr);
  assert.ok((await metric('cool-down', 'dry-run')) >= 1);
  assert.ok((await metric('deny-range', 'dry-run')) >= 1);
  assert.deepEqual(events('dry-run').sort(), ['v1.2.0 deny-range', 'v1.3.0 cool-down']);
  const line = mg.logs.find((l) => l.event === 'policy_refusal' && l.mode === 'dry-run');
  assert.match(String(line?.msg), /would be refused \(dry-run: served\) by the version policy/);
});
