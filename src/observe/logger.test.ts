// The stdout batches are cut into whole-line pieces no larger than a pipe keeps whole (PIPE_BUF),
// so the request-flow lines of several workers sharing one stdout never cut into each other; and
// through a real pipe with a slow reader nothing is lost, cut or reordered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { atomicPieces } from './logger.js';

const line = (i: number, extra: string): string => `{"level":30,"time":${1796223920157 + i},"reqId":"req-${i.toString(36)}","path":"/example.com/${extra}/@v/list","msg":"request"}\n`;

test('a batch is cut at line ends into pieces of at most 4096 bytes, and nothing is lost or reordered', () => {
  const lines: string[] = [];
  for (let i = 0; i < 600; i++) lines.push(line(i, i % 7 === 0 ? 'm\u00f6dule-\u65e5\u672c' : 'x'.repeat(i % 200)));
  // One line longer than a pipe write can keep whole goes alone, between the others.
  lines.splice(300, 0, `{"msg":"${'y'.repeat(9000)}"}\n`);
  const batch = lines.join('');
  const pieces = atomicPieces(batch);
  assert.equal(pieces.join(''), batch);
  assert.ok(pieces.length > 10, `${pieces.length} pieces`);
  for (const p of pieces) {
    assert.ok(p.endsWith('\n'), 'each piece ends a line');
    const bytes = Buffer.byteLength(p);
    if (bytes > 4096) assert.equal(p.indexOf('\n'), p.length - 1, 'only a single long line is larger than 4096 bytes');
  }
  // Pieces are filled up to the limit (not a line each).
  assert.ok(pieces.length < lines.length / 5, `${pieces.length} pieces for ${lines.length} lines`);
});

test('a small batch is one piece', () => {
  const batch = line(1, 'a') + line(2, 'b');
  assert.deepEqual(atomicPieces(batch), [batch]);
});

test('stdout through a slow pipe: every line arrives whole and in order, multi-byte characters too; flush calls back after the last write', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-logger-'));
  const child = join(dir, 'child.mts');
  // The child logs like a busy server: request lines in batches, its own lines between them, then
  // flushes and exits at once (what serve does on SIGTERM).
  await writeFile(child, `
    import { createLogger, rawLineWriter } from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, 'logger.ts')).href)};
    process.stdout.write('listening\\n');
    const logger = createLogger({ level: 'info', format: 'json' });
    const raw = rawLineWriter(logger);
    for (let i = 0; i < 20000; i++) {
      raw(JSON.stringify({ level: 30, n: i, path: '/example.com/m\\u00f6dule-\\u65e5\\u672c/@v/list', pad: 'x'.repeat(i % 300) }) + '\\n');
      if (i % 5000 === 0) logger.info({ n: i, own: true }, 'own line');
      if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
    }
    logger.flush(() => { process.stderr.write('flushed\\n'); process.exit(0); });
  `);
  try {
    const p = spawn(process.execPath, ['--import', 'tsx', child], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // A slow reader: the pipe fills, so writes are partial or wait.
    p.stdout.on('data', (c: Buffer) => {
      chunks.push(c);
      p.stdout.pause();
      setTimeout(() => p.stdout.resume(), 2);
    });
    const code = await new Promise<number | null>((resolve) => p.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /flushed/);
    const lines = Buffer.concat(chunks).toString('utf8').split('\n');
    assert.equal(lines.shift(), 'listening');
    assert.equal(lines.pop(), '');
    const parsed = lines.map((l) => JSON.parse(l) as { n: number; own?: boolean; path?: string });
    const requests = parsed.filter((x) => x.own === undefined);
    assert.deepEqual(requests.map((x) => x.n), Array.from({ length: 20000 }, (_, i) => i));
    for (const r of requests) assert.equal(r.path, '/example.com/m\u00f6dule-\u65e5\u672c/@v/list');
    // The logger's own lines come after the request lines logged before them.
    const own = parsed.map((x, i) => [x, i] as const).filter(([x]) => x.own === true);
    assert.deepEqual(own.map(([x]) => x.n), [0, 5000, 10000, 15000]);
    for (const [x, i] of own) assert.equal(parsed[i - 1]!.n, x.n);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
