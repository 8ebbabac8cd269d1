// The stdout batches are cut into whole-line pieces no larger than a pipe keeps whole (PIPE_BUF),
// so the request-flow lines of several workers sharing one stdout never cut into each other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
