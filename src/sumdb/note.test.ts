// Tests for signed notes. The PeterNeumann key and signed message are Go vectors: produced by a
// throwaway program (/tmp/nt.go) calling note.NewSigner/note.Sign from x/mod 0.7.0 (key from its ExampleSign).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isModgateError } from '../errors/modgate-error.js';
import { formatVerifierKey, generateKey, keyHash, openNote, parseSignerKey, parseVerifierKey, signNote } from './note.js';

const SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const SIGNED = `${TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;
const sumdbError = (e: unknown): boolean => isModgateError(e, 'SUMDB_ERROR');

void test('signing matches Go byte for byte and opens', () => {
  const s = parseSignerKey(SKEY);
  const v = parseVerifierKey(VKEY);
  assert.equal(s.hash, 0xc74f20a3);
  assert.equal(v.name, 'PeterNeumann');
  assert.equal(formatVerifierKey(v), VKEY);
  assert.equal(signNote(TEXT, [s]).toString(), SIGNED);
  const n = openNote(Buffer.from(SIGNED), [v]);
  assert.equal(n.text, TEXT);
  assert.equal(n.sigs.length, 1);
});

void test('Go default sum.golang.org key parses', () => {
  const v = parseVerifierKey('sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8');
  assert.equal(v.hash, 0x033de0ae);
  assert.equal(keyHash('sum.golang.org', Buffer.from('Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8', 'base64')), 0x033de0ae);
});

void test('bad keys are rejected', () => {
  for (const k of ['', 'PeterNeumann+c74f20a3', 'PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
    'Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T']) {
    assert.throws(() => parseVerifierKey(k), sumdbError, k);
  }
  assert.throws(() => parseSignerKey(SKEY.replace('c74f20a3', 'c74f20a4')), sumdbError);
  assert.throws(() => parseSignerKey(SKEY.replace('PRIVATE', 'PUBLIC')), sumdbError);
});

void test('openNote rules', () => {
  const v = parseVerifierKey(VKEY);
  const other = generateKey('other.example');
  const otherSigner = parseSignerKey(other.skey);
  const both = signNote(TEXT, [otherSigner, parseSignerKey(SKEY)]);
  const n = openNote(both, [v]);
  assert.equal(n.sigs.length, 1);
  assert.equal(n.unverifiedSigs.length, 1);
  assert.equal(n.unverifiedSigs[0]!.name, 'other.example');
  // only unknown signatures
  assert.throws(() => openNote(signNote(TEXT, [otherSigner]), [v]), /no verifiable signatures/);
  // known key, bad signature
  const bad = Buffer.from(SIGNED.replace('x08go/ZJ', 'x08go/ZK'));
  assert.throws(() => openNote(bad, [v]), /invalid signature/);
  // text tampered
  assert.throws(() => openNote(Buffer.from(SIGNED.replace('cryptography', 'cryptographY')), [v]), /invalid signature/);
  // malformed
  for (const m of [TEXT, `${TEXT}\n`, SIGNED.slice(0, -1), SIGNED.replace('\u2014', '-'), `a\tb\n${SIGNED}`,
    SIGNED.replace('x08go', '!08go'), `${TEXT}\n\u2014 PeterNeumann AAAA\n`]) {
    assert.throws(() => openNote(Buffer.from(m), [v]), sumdbError, JSON.stringify(m));
  }
  assert.throws(() => openNote(Buffer.concat([Buffer.from('a\n'), Buffer.from([0xff]), Buffer.from(SIGNED)]), [v]), sumdbError);
  // duplicate signature lines are fine
  assert.equal(openNote(Buffer.from(SIGNED + SIGNED.slice(TEXT.length + 1)), [v]).sigs.length, 1);
  // more than 100 signatures
  const many = TEXT + '\n' + SIGNED.slice(TEXT.length + 1).repeat(101);
  assert.throws(() => openNote(Buffer.from(many), [v]), sumdbError);
});

void test('generated keys round-trip', () => {
  const { skey, vkey } = generateKey('sum.example.com');
  const msg = signNote('go.sum database tree\n0\nAAAA\n', [parseSignerKey(skey)]);
  assert.equal(openNote(msg, [parseVerifierKey(vkey)]).sigs.length, 1);
});
