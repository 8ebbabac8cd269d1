// Tests for the h1 directory hash against vectors from Go's golang.org/x/mod/sumdb/dirhash.
// Vectors produced by a throwaway Go program (/tmp/dh.go) calling dirhash.Hash1 with x/mod 0.7.0.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { hash1, hashGoMod, hashStream, sha256 } from './dirhash.js';
import { isModgateError } from '../errors/modgate-error.js';

const files: Record<string, string> = {
  'm@v1/go.mod': 'module m\n',
  'm@v1/a.go': 'package a\n',
  'm@v1/\u00e9.txt': 'x',
  'm@v1/\u{1F600}.txt': 'y', // sorts after U+FFFF by UTF-8 bytes, before it by UTF-16 units
  'm@v1/\uffff.txt': 'z',
  'm@v1/dir/': '',
};

void test('hash1 matches Go Hash1 (UTF-8 byte order, empty directory entry)', () => {
  const entries = Object.entries(files).map(([name, body]) => ({ name, sha256: sha256(body) }));
  assert.equal(hash1(entries), 'h1:6VwMlujjPBF8Jcg0DCyiDtxi1bnZ/X+/Kb6dUHwDZpg=');
  assert.equal(hash1(entries.reverse()), 'h1:6VwMlujjPBF8Jcg0DCyiDtxi1bnZ/X+/Kb6dUHwDZpg=');
});

void test('hashGoMod matches go.sum /go.mod hashes', () => {
  assert.equal(hashGoMod(Buffer.alloc(0)), 'h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY=');
  assert.equal(hashGoMod(Buffer.from('module example.com/x\n\ngo 1.19\n')), 'h1:e2nB1h4TT8IBfAmFRRcRQ5vfHGzkuubqayOMYLImSh8=');
});

void test('hash1 rejects names with newlines', () => {
  assert.throws(() => hash1([{ name: 'a\nb', sha256: sha256('') }]), (e) => isModgateError(e, 'ZIP_INVALID'));
});

void test('hashStream hashes all chunks', async () => {
  const r = await hashStream(Readable.from([Buffer.from('ab'), Buffer.from('c')]));
  assert.equal(r.size, 3);
  assert.deepEqual(r.sha256, sha256('abc'));
});
