// The integrity gate with the go command as client: polluted upstreams (changed byte, extra file,
// changed go.mod, truncated zip, path traversal, zip bomb, .info for another version) are refused;
// with a clean upstream after `,` the build succeeds from it and nothing bad is cached; without
// one, the go command fails with modgate's message. Also: verification against Go's own checksum
// database implementation, pollution events in the admin API and metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FixtureModule } from '../support/gohelper.js';
import type { FileProxyServer } from '../support/file-proxy-server.js';
import { createGoEnv, goModDownloadJson } from '../support/go-env.js';
import type { ModgateProcess } from '../support/modgate-process.js';
import { readZipEntries } from '../support/zip-tamper.js';
import { buildZip } from '../../src/zip/zip-test-writer.js';
import { escapePath, escapeVersion } from '../../src/module/escape.js';
import { useTestStack } from '../support/test-stack.js';

// stack.upstream is the clean upstream; `polluted` serves the same fixture with one bad file per case.
const stack = useTestStack({ name: 'integrity' });
let polluted: FileProxyServer;

interface Case {
  readonly name: string;
  readonly file: 'zip' | 'mod' | 'info';
  readonly make: (clean: Buffer, m: FixtureModule) => Promise<Buffer> | Buffer;
  /** What the go command must show when no clean upstream is left. */
  readonly message: RegExp;
}

const prefixOf = (m: FixtureModule) => `${m.path}@${m.selected}/`;

const CASES: readonly Case[] = [
  {
    name: 'a: one changed byte in a file',
    file: 'zip',
    async make(bytes) {
      const entries = await readZipEntries(bytes);
      const i = entries.findIndex((e) => e.name.endsWith('.go') && e.data.length > 10);
      const data = Buffer.from(entries[i]!.data);
      data[5] = data[5]! ^ 0x20;
      entries[i] = { name: entries[i]!.name, data };
      return buildZip(entries);
    },
    message: /checksum mismatch[\s\S]*checksum database[\s\S]*h1:[\s\S]*upstream served:\s+h1:/,
  },
  {
    name: 'b: an extra file',
    file: 'zip',
    async make(bytes, m) {
      return buildZip([...(await readZipEntries(bytes)), { name: `${prefixOf(m)}backdoor.go`, data: 'package x\n' }]);
    },
    message: /checksum mismatch/,
  },
  { name: 'c: a changed go.mod', file: 'mod', make: (b) => Buffer.concat([b, Buffer.from('\nrequire evil.example.com/x v1.0.0\n')]), message: /\.mod: checksum mismatch/ },
  { name: 'd: a truncated zip', file: 'zip', make: (b) => b.subarray(0, b.length >> 1), message: /\.zip: .*(zip|central directory|end of central|invalid)/i },
  {
    name: 'e: a path-traversal entry',
    file: 'zip',
    async make(bytes, m) {
      return buildZip([...(await readZipEntries(bytes)), { name: `${prefixOf(m)}../../../etc/evil`, data: 'x' }]);
    },
    message: /\.zip: .*(not clean|invalid|malformed|\.\.)/i,
  },
  {
    name: 'f: a zip bomb over the size limits',
    file: 'zip',
    make(_b, m) {
      const zeros = Buffer.alloc(110 << 20);
      return buildZip(Array.from({ length: 5 }, (_, i) => ({ name: `${prefixOf(m)}bomb${i}.txt`, data: zeros })));
    },
    message: /\.zip: .*(larger|limit|too large|exceeds|size)/i,
  },
  { name: 'g: .info for a different version', file: 'info', make: () => Buffer.from('{"Version":"v0.0.1","Time":"2020-01-01T00:00:00Z"}'), message: /names version v0\.0\.1, not the requested/ },
];

let targets: FixtureModule[];

stack.before(async () => {
  polluted = await stack.startProxy(stack.fixture.proxyDir);
  targets = stack.fixture.manifest.modules.filter((m) => !m.stub && m.selected !== '').slice(0, CASES.length);
  assert.equal(targets.length, CASES.length);
  for (const [i, c] of CASES.entries()) {
    const m = targets[i]!;
    const rel = `/${escapePath(m.path)}/@v/${escapeVersion(m.selected)}.${c.file}`;
    const bad = await c.make(await readFile(join(stack.fixture.proxyDir, rel)), m);
    polluted.addFault({ match: rel, transform: () => bad });
  }
});

const modgate = (name: string, upstream: string): Promise<ModgateProcess> => stack.startModgate({ cache: name, upstream, args: ['--admin-tokens', 'test-admin-token'] });

async function download(goproxy: string, target: string) {
  const env = await createGoEnv({ GOPROXY: goproxy, GOSUMDB: stack.sumdb.gosumdb, GOFLAGS: '-modcacherw' });
  try {
    return await goModDownloadJson(await mkdtemp(join(stack.work, 'dl-')), env, [target]);
  } finally {
    await env.cleanup();
  }
}

test('polluted first upstream after `,`: the go command gets verified bytes from the clean one; nothing bad is cached', async () => {
  const mg = await modgate('with-clean', `${polluted.url},${stack.upstream.url}`);
  const direct = await Promise.all(targets.map((m) => download(stack.upstream.url, `${m.path}@${m.selected}`)));
  for (const [i, c] of CASES.entries()) {
    const m = targets[i]!;
    const r = await download(mg.url, `${m.path}@${m.selected}`);
    assert.equal(r.code, 0, `${c.name}: ${r.stderr}`);
    assert.equal(r.modules[0]?.Sum, direct[i]!.modules[0]?.Sum, c.name);
    assert.equal(r.modules[0]?.GoModSum, direct[i]!.modules[0]?.GoModSum, c.name);
    const cached = join(stack.work, 'with-clean', escapePath(m.path), '@v', `${escapeVersion(m.selected)}.${c.file}`);
    const original = join(stack.fixture.proxyDir, escapePath(m.path), '@v', `${escapeVersion(m.selected)}.${c.file}`);
    assert.ok((await readFile(cached)).equals(await readFile(original)), `${c.name}: cached bytes differ from the clean upstream's`);
  }
  // Every refusal is an event (admin API) and counted (metrics).
  const res = await fetch(`${mg.url}/admin/events?type=pollution`, { headers: { authorization: 'Bearer test-admin-token' } });
  assert.equal(res.status, 200);
  const { events } = (await res.json()) as { events: Array<{ details: { module: string; upstream: string; expected?: string; received?: string } }> };
  for (const m of targets.filter((_, i) => CASES[i]!.file !== 'info')) {
    const e = events.find((x) => x.details.module === m.path);
    assert.ok(e, `no pollution event for ${m.path}`);
    assert.equal(e.details.upstream, polluted.url);
  }
  const hashEvent = events.find((x) => x.details.module === targets[0]!.path)!;
  assert.match(String(hashEvent.details.expected), /^h1:/);
  assert.match(String(hashEvent.details.received), /^h1:/);
  assert.notEqual(hashEvent.details.expected, hashEvent.details.received);
  const metrics = await (await fetch(`${mg.url}/metrics`)).text();
  const polluting = metrics.split('\n').filter((l) => l.startsWith('modgate_pollution_events_total{'));
  const total = polluting.reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
  assert.ok(total >= 6, metrics);
  assert.equal((await fetch(`${mg.url}/admin/events`)).status, 401);
  assert.equal((await fetch(`${mg.url}/admin/events`, { headers: { authorization: 'Bearer nope' } })).status, 403);
});

test('polluted upstream alone: the go command fails with modgate\'s message; nothing is cached', async () => {
  const mg = await modgate('polluted-only', polluted.url);
  for (const [i, c] of CASES.entries()) {
    const m = targets[i]!;
    const r = await download(mg.url, `${m.path}@${m.selected}`);
    assert.notEqual(r.code, 0, c.name);
    const text = `${r.stderr}\n${r.modules.map((x) => x.Error ?? '').join('\n')}`;
    assert.match(text, c.message, `${c.name}:\n${text}`);
    if (c.file !== 'info') assert.ok(text.includes(polluted.url), `${c.name}: upstream not named:\n${text}`);
    const dir = join(stack.work, 'polluted-only', escapePath(m.path), '@v');
    const files = await readdir(dir).catch(() => [] as string[]);
    assert.ok(!files.includes(`${escapeVersion(m.selected)}.${c.file}`), `${c.name}: refused bytes were cached`);
    assert.ok(!files.includes(`${escapeVersion(m.selected)}.zip`), `${c.name}: a zip was cached`);
  }
});
