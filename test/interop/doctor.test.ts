// `modgate doctor` in fake environments: a stub `go` prints a chosen `go env -json`, and the
// settings point at real loopback servers — a healthy file proxy and checksum database, a proxy
// that never answers (beyond --timeout-ms), a closed port — checking findings and exit codes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmod, mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from '../support/process-runner.js';
import type { DoctorReport } from '../../src/cli/doctor-run.js';
import { useTestStack } from '../support/test-stack.js';

const BIN = fileURLToPath(new URL('../../bin/modgate', import.meta.url));

// stack.upstream is the healthy file proxy.
const stack = useTestStack({ name: 'doctor' });
let slow: Server;
let slowUrl: string;
let downUrl: string;
let oldCache: string;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

stack.before(async () => {
  slow = createServer(() => {
    // never answers: the doctor's timeout must fire
  });
  slowUrl = await listen(slow);
  const closed = createServer();
  downUrl = await listen(closed);
  await new Promise<void>((res) => closed.close(() => res()));
  // A module cache whose only file is two years old.
  oldCache = join(stack.work, 'modcache');
  const f = join(oldCache, 'cache', 'download', 'example.com', 'm', '@v', 'v1.0.0.mod');
  await mkdir(join(f, '..'), { recursive: true });
  await writeFile(f, 'module example.com/m\n');
  const twoYearsAgo = new Date(Date.now() - 730 * 86_400_000);
  await utimes(f, twoYearsAgo, twoYearsAgo);
});

after(async () => {
  slow?.closeAllConnections();
  await new Promise<void>((res) => (slow ? slow.close(() => res()) : res()));
});

interface Case {
  name: string;
  goEnv: () => Record<string, string>;
  /** requirements of a go.mod in the working directory (none: no go.mod) */
  requires?: string[];
  extraEnv?: () => Record<string, string>;
  noGo?: boolean;
  exitCode: number;
  ids: string[];
  check?: (r: DoctorReport) => void;
}

let n = 0;
async function runDoctor(c: Case): Promise<{ code: number; report: DoctorReport }> {
  const dir = join(stack.work, `case-${++n}`);
  await mkdir(dir);
  const goEnv = { GOMODCACHE: join(dir, 'empty-modcache'), GOVERSION: 'go1.19.8', GOFLAGS: '', GOINSECURE: '', GOPRIVATE: '', GONOPROXY: '', GONOSUMDB: '', ...c.goEnv() };
  await writeFile(join(dir, 'goenv.json'), JSON.stringify(goEnv, null, '\t'));
  const stub = join(dir, 'go');
  await writeFile(stub, `#!/bin/sh\n[ "$1 $2" = "env -json" ] || exit 2\ncat "${join(dir, 'goenv.json')}"\n`);
  await chmod(stub, 0o755);
  if (c.requires) await writeFile(join(dir, 'go.mod'), `module corp.example.com/team/app\n\ngo 1.19\n\nrequire (\n${c.requires.map((r) => `\t${r}\n`).join('')})\n`);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, MODGATE_DOCTOR_GO: c.noGo === true ? join(dir, 'no-such-go') : stub, ...c.extraEnv?.() };
  const r = await runProcess(process.execPath, [BIN, 'doctor', '--json', '--timeout-ms', '1500', '--probe-module', 'golang.org/x/text'], { cwd: dir, env, timeoutMs: 60_000 });
  assert.ok(r.stdout.startsWith('{'), `doctor printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return { code: r.code, report: JSON.parse(r.stdout) as DoctorReport };
}

const cases: Case[] = [
  {
    name: 'healthy proxy with fallback and a verifying checksum DB; an old cache is only info',
    goEnv: () => ({ GOPROXY: `${stack.upstream.url},direct`, GOSUMDB: stack.sumdb.gosumdb, GOMODCACHE: oldCache }),
    exitCode: 0,
    ids: ['modcache-stale'],
    check: (r) => {
      assert.equal(r.source, 'go env');
      assert.equal(r.mirrors[0]?.state, 'ok');
      assert.equal(r.mirrors[0]?.separator, ',');
      assert.equal(typeof r.mirrors[0]?.latencyMs, 'number');
      assert.equal(r.mirrors[1]?.entry, 'direct');
      assert.equal(r.sumdb?.state, 'ok');
      assert.equal(typeof r.sumdb?.treeSize, 'number', JSON.stringify(r.sumdb));
      assert.equal(r.cache.files, 1);
    },
  },
  {
    name: 'a closed port followed by "," is an error: the go command does not fall back',
    goEnv: () => ({ GOPROXY: `${downUrl},${stack.upstream.url}`, GOSUMDB: stack.sumdb.gosumdb }),
    exitCode: 2,
    ids: ['proxy-down'],
    check: (r) => assert.deepEqual(r.mirrors.map((m) => m.state), ['down', 'ok']),
  },
  {
    name: 'a proxy slower than the timeout followed by "|" is a warning: the go command falls back',
    goEnv: () => ({ GOPROXY: `${slowUrl}|${stack.upstream.url}`, GOSUMDB: stack.sumdb.gosumdb }),
    exitCode: 1,
    ids: ['proxy-timeout'],
    check: (r) => assert.deepEqual(r.mirrors.map((m) => `${m.state}${m.separator}`), ['timeout|', 'ok']),
  },
  {
    name: 'risky settings and a private requirement outside GOPRIVATE',
    goEnv: () => ({ GOPROXY: stack.upstream.url, GOSUMDB: 'off', GOFLAGS: '-mod=mod -insecure', GOINSECURE: 'git.example.org' }),
    requires: ['corp.example.com/team/lib v1.0.0', 'git.acme.internal/x/y v0.1.0', 'golang.org/x/text v0.3.7'],
    exitCode: 1,
    ids: ['goproxy-no-fallback', 'gosumdb-off', 'goflags-insecure', 'goinsecure', 'private-module-leak', 'private-module-leak'],
    check: (r) => {
      const leaks = r.findings.filter((f) => f.id === 'private-module-leak');
      assert.match(leaks[0]!.message, /^corp\.example\.com\/team\/lib looks private \(host corp\.example\.com has a "corp" label\)/);
      assert.match(leaks[1]!.message, /^git\.acme\.internal\/x\/y looks private \(host git\.acme\.internal has a non-public top-level domain\).*GOPROXY proxies$/);
      assert.equal(leaks[1]!.fix, 'go env -w GOPRIVATE=git.acme.internal');
    },
  },
  {
    name: 'GOPRIVATE covering the private requirement: no leak; GONOSUMDB broader than GOPRIVATE; GONOSUMCHECK ignored; checksum DB down',
    goEnv: () => ({ GOPROXY: `${stack.upstream.url},direct`, GOSUMDB: `${stack.sumdb.vkey} ${downUrl}`, GOPRIVATE: 'corp.example.com', GONOPROXY: 'corp.example.com', GONOSUMDB: 'corp.example.com,github.com' }),
    requires: ['corp.example.com/team/lib v1.0.0'],
    extraEnv: () => ({ GONOSUMCHECK: 'corp.example.com' }),
    exitCode: 2,
    ids: ['sumdb-down', 'gonosumcheck-ignored', 'gonosumdb-broader-than-goprivate'],
    check: (r) => assert.match(r.findings.find((f) => f.id === 'gonosumdb-broader-than-goprivate')!.message, /for github\.com,/),
  },
  {
    name: 'GOPROXY=off is an error',
    goEnv: () => ({ GOPROXY: 'off', GOSUMDB: 'off' }),
    exitCode: 2,
    ids: ['goproxy-off', 'gosumdb-off'],
  },
  {
    name: 'without a go binary the process environment is used',
    goEnv: () => ({}),
    noGo: true,
    extraEnv: () => ({ GOPROXY: `${stack.upstream.url}|direct`, GOSUMDB: 'off', GOMODCACHE: '/nonexistent/modcache' }),
    exitCode: 1,
    ids: ['gosumdb-off', 'go-unavailable'],
    check: (r) => {
      assert.equal(r.source, 'environment');
      assert.equal(r.settings.GOPROXY, `${stack.upstream.url}|direct`);
      assert.equal(r.cache.exists, false);
    },
  },
];

for (const c of cases) {
  test(`doctor: ${c.name}`, async () => {
    const { code, report } = await runDoctor(c);
    assert.deepEqual(report.findings.map((f) => f.id), c.ids, JSON.stringify(report.findings, null, 2));
    assert.equal(code, c.exitCode);
    assert.equal(report.exitCode, c.exitCode);
    for (const f of report.findings) assert.ok(f.fix.length > 0 && f.message.length > 0);
    c.check?.(report);
  });
}

test('doctor prints a mirror table and findings without --json', async () => {
  const dir = join(stack.work, 'human');
  await mkdir(dir);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, MODGATE_DOCTOR_GO: join(dir, 'no-go'), GOPROXY: `${downUrl}`, GOSUMDB: 'off', GOMODCACHE: join(dir, 'mc') };
  const r = await runProcess(process.execPath, [BIN, 'doctor', '--timeout-ms', '1500'], { cwd: dir, env, timeoutMs: 60_000 });
  assert.equal(r.code, 2);
  assert.match(r.stdout, /ENTRY\s+SEP\s+STATE\s+LATENCY\s+SUMDB\s+DETAIL/);
  assert.match(r.stdout, /ERROR \[proxy-down\]/);
  assert.match(r.stdout, /errors \(exit 2\)\n$/);
});
