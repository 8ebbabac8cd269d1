// `--workers N`: N processes share the port and the cache; the go command downloads through them;
// a worker that dies is replaced; SIGTERM stops them all gracefully.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGoEnv, goModDownloadJson } from '../support/go-env.js';
import { runProcess } from '../support/process-runner.js';
import { waitFor } from '../support/wait-for.js';
import { escapePath, escapeVersion } from '../../src/module/escape.js';
import { useTestStack } from '../support/test-stack.js';

const childrenOf = async (pid: number): Promise<number[]> =>
  (await runProcess('pgrep', ['-P', String(pid)])).stdout.split('\n').filter((l) => l.trim() !== '').map(Number);

const stack = useTestStack({ name: 'workers', modgate: { args: ['--workers', '2'] } });

// The workers must not outlive the test even if the primary was SIGKILLed: kill them after it.
stack.before(() =>
  stack.defer(async () => {
    const kids = await childrenOf(stack.mg.proc.pid!);
    await stack.mg.kill();
    for (const k of kids) {
      try {
        process.kill(k, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }),
);

test('two workers serve the go command; a killed worker is replaced; SIGTERM stops all', async () => {
  assert.match(stack.mg.output(), /listening on http:\/\/127\.0\.0\.1:\d+ \(2 workers\)/);
  const listening = await waitFor('the listening log line', async () => stack.mg.logs.find((l) => l.msg === 'listening'));
  assert.equal(listening.storage, `fs:${join(stack.work, 'cache')}`, JSON.stringify(listening));
  const workers = await childrenOf(stack.mg.proc.pid!);
  assert.equal(workers.length, 2);
  const mods = stack.fixture.manifest.modules.filter((m) => !m.stub && m.selected !== '').slice(0, 6);
  const env = await createGoEnv({ GOPROXY: stack.mg.url, GOSUMDB: stack.sumdb.vkey, GOFLAGS: '-modcacherw' });
  try {
    const r = await goModDownloadJson(await mkdtemp(join(stack.work, 'dl-')), env, mods.map((m) => `${m.path}@${m.selected}`));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.modules.length, mods.length);
  } finally {
    await env.cleanup();
  }
  process.kill(workers[0]!, 'SIGKILL');
  const replaced = await waitFor('a replacement worker', async () => {
    const now = await childrenOf(stack.mg.proc.pid!);
    return now.length === 2 && !now.includes(workers[0]!) ? now : undefined;
  });
  assert.ok(replaced.includes(workers[1]!));
  // Both (old and new) keep serving: many requests all succeed.
  const zipRel = `/${escapePath(mods[0]!.path)}/@v/${escapeVersion(mods[0]!.selected)}.zip`;
  const want = await readFile(join(stack.fixture.proxyDir, zipRel));
  for (let i = 0; i < 20; i++) {
    const res = await fetch(stack.mg.url + zipRel);
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(want));
  }
  // /metrics sums every worker: all 20 zip hits are counted whichever worker answers the scrape.
  for (let i = 0; i < 3; i++) {
    const text = await (await fetch(`${stack.mg.url}/metrics`)).text();
    assert.doesNotMatch(text, /metrics of worker \d+ only/);
    const hits = text.split('\n').filter((l) => l.startsWith('modgate_requests_total{') && l.includes('kind="zip"') && l.includes('result="hit"'));
    assert.ok(hits.reduce((n, l) => n + Number(l.split(' ').at(-1)), 0) >= 20, hits.join('\n'));
  }
  const code = await stack.mg.stop();
  assert.equal(code, 0);
  assert.deepEqual(await childrenOf(stack.mg.proc.pid!), []);
});
