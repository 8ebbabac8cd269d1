// SIGTERM while clients pull cache hits as fast as they can: every answer a client received has its
// request-flow log line (the lines are written asynchronously, several per write), and every line is
// of a request that was answered; the process exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:http';
import { addVersion } from '../../src/testing/proxy-fixture.js';
import { startModgate } from '../support/modgate-process.js';

const CLIENTS = 16;
const BEFORE_SIGTERM = 3000;

test('SIGTERM under hit load loses no request-flow line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-hit-shutdown-'));
  const up = join(dir, 'upstream');
  const urls: string[] = [];
  for (let i = 0; i < 5; i++) {
    await addVersion(up, 'example.com/hits', `v1.0.${i}`, { 'go.mod': 'module example.com/hits\n', 'a.go': 'package a\n' });
    urls.push(`/example.com/hits/@v/v1.0.${i}.info`, `/example.com/hits/@v/v1.0.${i}.mod`);
  }
  await writeFile(join(up, 'example.com/hits/@v/list'), 'v1.0.0\nv1.0.1\nv1.0.2\nv1.0.3\nv1.0.4\n');
  urls.push('/example.com/hits/@v/list');
  const mg = await startModgate({ args: ['--cache-dir', join(dir, 'cache'), '--upstream', `file://${up}`, '--sumdb', 'off', '--prefetch', 'false', '--log-level', 'info'] });
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const { hostname, port } = new URL(mg.url);
  const received = new Map<number, number>();
  let total = 0;
  let sent = false;
  const get = (path: string) =>
    new Promise<number | undefined>((resolve) => {
      request({ host: hostname, port, path, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
        res.on('error', () => resolve(undefined));
      })
        .on('error', () => resolve(undefined)) // refused or reset once the server is gone: no answer
        .end();
    });
  try {
    for (const u of urls) assert.equal(await get(u), 200, u); // warm: every file in memory
    const exited = once(mg.proc, 'exit');
    const stdoutClosed = once(mg.proc.stdout!, 'close');
    const client = async (n: number) => {
      for (let i = n; ; i++) {
        const status = await get(urls[i % urls.length]!);
        if (status === undefined) return;
        received.set(status, (received.get(status) ?? 0) + 1);
        total++;
        if (total >= BEFORE_SIGTERM && !sent) {
          sent = true;
          mg.proc.kill('SIGTERM');
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
    const [code] = (await exited) as [number | null];
    await stdoutClosed;
    assert.equal(code, 0, mg.output().slice(-2000));
    const lines = mg.logs.filter((l) => l.msg === 'request');
    const logged = new Map<number, number>();
    for (const l of lines) logged.set(l.status as number, (logged.get(l.status as number) ?? 0) + 1);
    assert.ok(total >= BEFORE_SIGTERM, `only ${total} answers`);
    // The warm-up's answers are logged too.
    assert.deepEqual(
      Object.fromEntries([...logged].sort()),
      Object.fromEntries([...received].map(([s, n]) => [s, s === 200 ? n + urls.length : n]).sort()),
      'one line per answer, by status',
    );
  } finally {
    agent.destroy();
    await mg.kill();
    await rm(dir, { recursive: true, force: true });
  }
});
