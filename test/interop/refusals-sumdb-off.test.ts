// Refusals without a checksum database (`--sumdb off`), the go command as client: an upstream that
// serves an HTML portal page as a .mod, one that serves a go.mod declaring another module path, and
// a file:// upstream whose zip breaks the zip rules (zip-slip) are refused with a clear reason that
// names the upstream; nothing is cached; `go mod download` shows the reason. Each refusal is a
// pollution event with its rule, counts as `refused` in the metrics and marks the upstream
// "refused" in /api/overview; no answer shows the cache directory or a temp path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FixtureModule } from '../support/gohelper.js';
import type { FileProxyServer } from '../support/file-proxy-server.js';
import { goModDownloadJson } from '../support/go-env.js';
import type { ModgateProcess } from '../support/modgate-process.js';
import { readZipEntries } from '../support/zip-tamper.js';
import { buildZip } from '../../src/zip/zip-test-writer.js';
import { escapePath, escapeVersion } from '../../src/module/escape.js';
import { useTestStack } from '../support/test-stack.js';

const TOKEN = 'refusals-admin-token';
const stack = useTestStack({ name: 'refusals-off', sumdb: false });
let polluted: FileProxyServer;
let fileUpstream: string;
let html: FixtureModule;
let otherPath: FixtureModule;
let slip: FixtureModule;
let viaHttp: ModgateProcess;
let viaFile: ModgateProcess;

const rel = (m: FixtureModule, file: string) => `${escapePath(m.path)}/@v/${escapeVersion(m.selected)}.${file}`;

stack.before(async () => {
  [html, otherPath, slip] = stack.mods.slice(0, 3) as [FixtureModule, FixtureModule, FixtureModule];
  assert.ok(slip, 'the fixture has fewer than three real modules');
  polluted = await stack.startProxy(stack.fixture.proxyDir);
  polluted.addFault({ match: `/${rel(html, 'mod')}`, transform: () => Buffer.from('<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Corporate portal: please sign in</body></html>\n') });
  polluted.addFault({ match: `/${rel(otherPath, 'mod')}`, transform: () => Buffer.from('module example.com/someone-else\n\ngo 1.20\n') });
  // A file:// upstream (the go command's cache layout) whose zip has a path-traversal entry.
  const dir = await mkdtemp(join(stack.work, 'file-upstream-'));
  const modDir = join(dir, ...escapePath(slip.path).split('/'), '@v');
  await mkdir(modDir, { recursive: true });
  await cp(join(stack.fixture.proxyDir, ...escapePath(slip.path).split('/'), '@v'), modDir, { recursive: true });
  const entries = await readZipEntries(await readFile(join(stack.fixture.proxyDir, rel(slip, 'zip'))));
  await writeFile(join(dir, rel(slip, 'zip')), buildZip([...entries, { name: `${slip.path}@${slip.selected}/../../../etc/cron.d/evil`, data: '* * * * * root id\n' }]));
  fileUpstream = pathToFileURL(dir).toString();
  viaHttp = await stack.startModgate({ cache: 'cache-http', upstream: polluted.url, sumdb: 'off', args: ['--admin-tokens', TOKEN] });
  viaFile = await stack.startModgate({ cache: 'cache-file', upstream: fileUpstream, sumdb: 'off', args: ['--admin-tokens', TOKEN] });
});

async function download(mg: ModgateProcess, m: FixtureModule) {
  const env = await stack.goEnv({ GOPROXY: mg.url, GOSUMDB: 'off' });
  const r = await goModDownloadJson(await mkdtemp(join(stack.work, 'dl-')), env, [`${m.path}@${m.selected}`]);
  return { code: r.code, text: `${r.stderr}\n${r.modules.map((x) => x.Error ?? '').join('\n')}` };
}

/** No server path in an answer: neither the cache directory nor a temp path (an upstream's file:// name aside). */
function assertNoServerPath(text: string, cacheDir: string, what: string): void {
  assert.ok(!text.includes(cacheDir), `${what}: the cache directory is shown:\n${text}`);
  assert.ok(!text.replaceAll(fileUpstream, '').replaceAll(stack.work, '').includes(tmpdir() + '/'), `${what}: a temp path is shown:\n${text}`);
  assert.ok(!text.replaceAll(fileUpstream, '').includes(stack.work), `${what}: a server path is shown:\n${text}`);
}

const cached = async (cache: string, m: FixtureModule) => readdir(join(stack.work, cache, ...escapePath(m.path).split('/'), '@v')).catch(() => [] as string[]);

interface Overview { upstreams: Array<{ name: string; refused: number; lastRefusal?: string }> }

test('--sumdb off: an HTML page served as .mod and a go.mod for another path are refused with the reason; go shows it; nothing cached', async () => {
  const cases: Array<[FixtureModule, RegExp]> = [
    [html, /\.mod has no module directive \(not a go\.mod file\)|\.mod is not a valid go\.mod/],
    [otherPath, /\.mod declares module path example\.com\/someone-else, not the requested/],
  ];
  for (const [m, why] of cases) {
    const r = await download(viaHttp, m);
    assert.notEqual(r.code, 0, `${m.path}: the go command accepted it`);
    assert.match(r.text, why, m.path);
    assert.ok(r.text.includes(`${polluted.url}: ${m.path}@${m.selected}`), `${m.path}: the upstream is not named:\n${r.text}`);
    assertNoServerPath(r.text, join(stack.work, 'cache-http'), m.path);
    const files = await cached('cache-http', m);
    assert.ok(!files.includes(`${escapeVersion(m.selected)}.mod`), `${m.path}: the refused .mod was cached`);
    assert.ok(!files.includes(`${escapeVersion(m.selected)}.zip`), `${m.path}: a zip was cached`);
    const direct = await fetch(`${viaHttp.url}/${rel(m, 'mod')}`);
    assert.equal(direct.status, 502);
    assert.equal(direct.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.match(await direct.text(), why);
  }
  const events = (await (await fetch(`${viaHttp.url}/admin/events?type=pollution`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { events: Array<{ details: Record<string, string> }> };
  for (const [m, why] of cases) {
    const e = events.events.find((x) => x.details.module === m.path);
    assert.ok(e, `no pollution event for ${m.path}`);
    assert.equal(e.details.upstream, polluted.url);
    assert.equal(e.details.kind, 'mod');
    assert.match(e.details.rule ?? '', why);
  }
  const up = ((await (await fetch(`${viaHttp.url}/api/overview`)).json()) as Overview).upstreams.find((u) => u.name === polluted.url);
  assert.ok(up && up.refused >= 2, `the upstream is not marked refused: ${JSON.stringify(up)}`);
  const metrics = await (await fetch(`${viaHttp.url}/metrics`)).text();
  assert.match(metrics, /^modgate_upstream_fetches_total\{upstream="[^"]+",kind="mod",outcome="refused"\} [1-9]/m);
  assert.match(metrics, /^modgate_pollution_events_total\{upstream="[^"]+",kind="mod"\} [1-9]/m);
});

test('--sumdb off: a zip-slip zip from a file:// upstream is refused naming that upstream and the rule; an event; nothing cached', async () => {
  const r = await download(viaFile, slip);
  assert.notEqual(r.code, 0, 'the go command accepted the zip');
  assert.ok(r.text.includes(`${fileUpstream}: ${slip.path}@${slip.selected}.zip: `), `the file:// upstream is not named:\n${r.text}`);
  assert.match(r.text, /invalid path element "\.\."/);
  assertNoServerPath(r.text, join(stack.work, 'cache-file'), 'zip refusal');
  const files = await cached('cache-file', slip);
  assert.ok(!files.some((f) => f.endsWith('.zip')), `the zip was cached: ${files.join(' ')}`);
  const body = await (await fetch(`${viaFile.url}/${rel(slip, 'zip')}`)).text();
  assertNoServerPath(body, join(stack.work, 'cache-file'), 'zip refusal body');
  const events = (await (await fetch(`${viaFile.url}/admin/events?type=pollution`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { events: Array<{ details: Record<string, string> }> };
  const e = events.events.find((x) => x.details.module === slip.path && x.details.kind === 'zip');
  assert.ok(e, 'no pollution event for the zip');
  assert.equal(e.details.upstream, fileUpstream);
  assert.match(e.details.rule ?? '', /invalid path element/);
  const up = ((await (await fetch(`${viaFile.url}/api/overview`)).json()) as Overview).upstreams.find((u) => u.name === fileUpstream);
  assert.ok(up && up.refused >= 1 && /invalid path element/.test(up.lastRefusal ?? ''), `the upstream is not marked refused: ${JSON.stringify(up)}`);
});
