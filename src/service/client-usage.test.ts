// The usage lines never tell a client to turn verification off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientUsage } from './client-usage.js';

test('a server that does not verify tells clients to keep GOSUMDB on (sum.golang.org), never off', () => {
  const u = clientUsage({ baseUrl: 'http://mg:3000', sumdb: 'off', privatePatterns: '' });
  assert.match(u.gosumdb, /^export GOSUMDB=sum\.golang\.org\b/);
  assert.doesNotMatch(u.gosumdb, /GOSUMDB=off/);
  assert.equal(u.goproxy, 'export GOPROXY=http://mg:3000');
});

test('a verifying server names its database; the own database wins; private paths go to GONOSUMDB', () => {
  const v = clientUsage({ baseUrl: 'http://mg:3000', sumdb: [{ name: 'sum.example.test' }], privatePatterns: 'corp.example.com' });
  assert.match(v.gosumdb, /^export GOSUMDB=sum\.example\.test +# verified through http:\/\/mg:3000\/sumdb\//);
  assert.match(v.goprivate, /^export GONOSUMDB=corp\.example\.com\b/);
  const own = clientUsage({ baseUrl: 'http://mg:3000', sumdb: 'off', ownVkey: 'mg.example+1234abcd+AAAA', privatePatterns: 'corp.example.com' });
  assert.match(own.gosumdb, /^export GOSUMDB="mg\.example\+1234abcd\+AAAA"/);
});
