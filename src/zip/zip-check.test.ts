// Tests for checkModuleZip. h1 vectors come from Go: the same zips were written to /tmp and checked
// with a throwaway program (/tmp/zc.go) calling x/mod 0.7.0 zip.CheckZip and dirhash.HashZip.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isModgateError } from '../errors/modgate-error.js';
import { checkModuleZip } from './zip-check.js';
import { type TestZipEntry, buildZip } from './zip-test-writer.js';
import { strToFold } from './zip-rules.js';

const dir = mkdtempSync(join(tmpdir(), 'modgate-zip-'));
let counter = 0;
function zipFile(entries: readonly TestZipEntry[]): string {
  const file = join(dir, `z${counter++}.zip`);
  writeFileSync(file, buildZip(entries));
  return file;
}
const P = 'example.com/m@v1.0.0/';
const mod = { path: 'example.com/m', version: 'v1.0.0' };
const GO_MOD = 'module example.com/m\n\ngo 1.19\n';

void test('h1 and results match Go for a typical zip', async () => {
  const file = zipFile([
    { name: P },
    { name: `${P}go.mod`, data: GO_MOD },
    { name: `${P}LICENSE`, data: 'MIT\n', method: 0 },
    { name: `${P}sub/`, method: 0 },
    { name: `${P}sub/a.go`, data: 'package sub\n'.repeat(100) },
    { name: `${P}\u00e9t\u00e9/\u00df.txt`, data: 'eszett' },
  ]);
  const r = await checkModuleZip(file, mod);
  assert.equal(r.h1, 'h1:5RhqUThoyo7zRJ/njRT+dfPAIuGfnBUkIPM2unQRaLU=');
  assert.equal(r.files, 4);
  assert.equal(r.uncompressedSize, GO_MOD.length + 4 + 1200 + 6);
  assert.equal(r.goMod?.toString(), GO_MOD);
});

void test('directory entries are hashed with their content, like Go HashZip', async () => {
  const r = await checkModuleZip(zipFile([
    { name: `${P}sub/`, data: 'dir data', method: 0 },
    { name: `${P}x.go`, data: 'package m\n' },
  ]), mod);
  assert.equal(r.h1, 'h1:tStGhxVpM7nnA1cBPxkc/6O8vd3sWRg3gH4BjVcaT08=');
  assert.equal(r.goMod, undefined);
  assert.equal(r.files, 1);
});

const rejections: [string, TestZipEntry[], RegExp][] = [
  ['missing prefix', [{ name: 'example.com/m@v1.0.1/x.go' }], /does not have prefix/],
  ['unclean path', [{ name: `${P}a/../x.go` }], /not clean/],
  ['double slash', [{ name: `${P}a//x.go` }], /not clean/],
  ['leading slash', [{ name: `${P}/x.go` }], /empty path element/],
  ['bad file path', [{ name: `${P}a/x:y.go` }], /x:y/],
  ['case collision', [{ name: `${P}A.go` }, { name: `${P}a.go` }], /case-insensitive file name collision/],
  ['parent dir collision', [{ name: `${P}Dir/a.go` }, { name: `${P}dir/b.go` }], /case-insensitive/],
  ['duplicate', [{ name: `${P}a.go` }, { name: `${P}a.go` }], /multiple entries/],
  ['file and dir', [{ name: `${P}a` }, { name: `${P}a/b.go` }], /both a file and a directory/],
  ['nested go.mod', [{ name: `${P}sub/go.mod` }], /not in module root/],
  ['go.mod casing', [{ name: `${P}GO.MOD` }], /lowercase/],
  ['unsupported method', [{ name: `${P}a.go`, data: 'x', method: 0 }].map((e) => ({ ...e, method: 12 as 0 })), /compression method/],
  ['bad CRC', [{ name: `${P}a.go`, data: 'package a\n', crc: 1234 }], /CRC-32/],
  ['bigger than declared', [{ name: `${P}a.go`, data: 'package a\n', declaredSize: 3 }], /a\.go/],
  ['smaller than declared', [{ name: `${P}a.go`, data: 'package a\n', declaredSize: 30 }], /a\.go/],
  ['declared total too large', [{ name: `${P}a.go`, data: 'x', declaredSize: 300 << 20 }, { name: `${P}b.go`, data: 'y', declaredSize: 300 << 20 }], /too large/],
  ['go.mod too large', [{ name: `${P}go.mod`, data: 'x', declaredSize: (16 << 20) + 1 }], /go\.mod file too large/],
  ['LICENSE too large', [{ name: `${P}LICENSE`, data: 'x', declaredSize: (16 << 20) + 1 }], /LICENSE file too large/],
  ['newline in name', [{ name: `${P}a\nb.go` }], /a\\nb|not clean|malformed|invalid/],
];

// Both ways of reading: small zips in memory (the default), larger ones streamed (forced here).
for (const [how, opts] of [['in memory', {}], ['streamed', { inMemoryMax: 0 }]] as const) {
  for (const [what, entries, reason] of rejections) {
    void test(`rejects (${how}): ${what}`, async () => {
      await assert.rejects(checkModuleZip(zipFile(entries), mod, opts), (err: unknown) => {
        assert.ok(isModgateError(err, 'ZIP_INVALID'), String(err));
        assert.match(err.message, reason);
        return true;
      });
    });
  }
}

void test('the streamed and the in-memory reading give the same result', async () => {
  const file = zipFile([
    { name: `${P}go.mod`, data: GO_MOD },
    { name: `${P}LICENSE`, data: 'MIT\n', method: 0 },
    { name: `${P}big.go`, data: 'package m\n// '.concat('x'.repeat(5 << 20)) },
    { name: `${P}sub/a.go`, data: 'package sub\n'.repeat(100) },
  ]);
  const streamed = await checkModuleZip(file, mod, { inMemoryMax: 0 });
  const inMemory = await checkModuleZip(file, mod);
  assert.deepEqual(inMemory, streamed);
  assert.equal(inMemory.goMod?.toString(), GO_MOD);
});

void test('rejects a non-zip and a non-canonical version', async () => {
  const file = join(dir, 'not.zip');
  writeFileSync(file, 'hello');
  await assert.rejects(checkModuleZip(file, mod), (e) => isModgateError(e, 'ZIP_INVALID'));
  await assert.rejects(checkModuleZip(file, { path: 'example.com/m', version: 'v1.0' }), (e) => isModgateError(e, 'INVALID_VERSION'));
});

void test('strToFold folds like Go', () => {
  assert.equal(strToFold('abc/def'), 'abc/def');
  assert.equal(strToFold('ABC'), 'abc');
  assert.equal(strToFold('\u212a'), 'k'); // Kelvin sign
  assert.equal(strToFold('\u017f'), 's'); // long s
  assert.equal(strToFold('\u00c9'), strToFold('\u00e9'));
  assert.equal(strToFold('\u03c2'), strToFold('\u03a3'));
});
