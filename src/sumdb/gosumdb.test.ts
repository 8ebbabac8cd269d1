// Tests for GOSUMDB parsing (the go command's dbDial rules).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isModgateError } from '../errors/modgate-error.js';
import { SUM_GOLANG_ORG_KEY, parseGosumdb } from './gosumdb.js';
import { generateKey } from './note.js';

void test('GOSUMDB forms', () => {
  assert.equal(parseGosumdb('off'), 'off');
  const def = { name: 'sum.golang.org', vkey: SUM_GOLANG_ORG_KEY, url: 'https://sum.golang.org', explicitUrl: false };
  assert.deepEqual(parseGosumdb(''), def);
  assert.deepEqual(parseGosumdb('sum.golang.org'), def);
  assert.deepEqual(parseGosumdb(SUM_GOLANG_ORG_KEY), def);
  assert.deepEqual(parseGosumdb('sum.golang.google.cn'), { ...def, url: 'https://sum.golang.google.cn', explicitUrl: true });
  const { vkey } = generateKey('sum.example.com/db');
  assert.deepEqual(parseGosumdb(vkey), { name: 'sum.example.com/db', vkey, url: 'https://sum.example.com/db', explicitUrl: false });
  assert.deepEqual(parseGosumdb(`${vkey}  http://localhost:8080/sumdb/`), { name: 'sum.example.com/db', vkey, url: 'http://localhost:8080/sumdb', explicitUrl: true });
});

void test('bad GOSUMDB settings', () => {
  const bad = (e: unknown): boolean => isModgateError(e, 'CONFIG_INVALID');
  assert.throws(() => parseGosumdb('sum.example.com'), bad);
  assert.throws(() => parseGosumdb(`${SUM_GOLANG_ORG_KEY} https://a https://b`), bad);
  assert.throws(() => parseGosumdb(`${SUM_GOLANG_ORG_KEY} ::nope`), bad);
  assert.throws(() => parseGosumdb(generateKey('a?b').vkey), bad);
  assert.throws(() => parseGosumdb(generateKey('user@host').vkey), bad);
});
