// Typed config values: each structured setting is parsed once at load into the value the parts
// use, and a bad value stops loading with the flag, the env var and the accepted form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './load-config.js';
import { SUM_GOLANG_ORG_KEY } from '../sumdb/gosumdb.js';

const load = (flags: Record<string, unknown>) => loadConfig({ env: {}, flags });
const refused = (flags: Record<string, unknown>, want: RegExp) =>
  assert.throws(() => load(flags), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && want.test(e.message), JSON.stringify(flags));

test('listen: host and port are validated and parsed', () => {
  const ok: Array<[string, { host: string; port: number }]> = [
    ['127.0.0.1:3000', { host: '127.0.0.1', port: 3000 }],
    ['0.0.0.0:0', { host: '0.0.0.0', port: 0 }],
    [':8080', { host: '0.0.0.0', port: 8080 }],
    ['[::1]:65535', { host: '::1', port: 65535 }],
    ['localhost:3000', { host: 'localhost', port: 3000 }],
    ['proxy.corp.example:443', { host: 'proxy.corp.example', port: 443 }],
  ];
  for (const [listen, want] of ok) assert.deepEqual(load({ listen }).listen, want, listen);
  refused({ listen: '999.1.1.1:99999' }, /listen \(flag --listen, env MODGATE_LISTEN\): port 99999 is out of range; expected HOST:PORT/);
  refused({ listen: '999.1.1.1:3000' }, /--listen.*"999\.1\.1\.1" is not an IPv4 address or host name; expected HOST:PORT/);
  refused({ listen: '[zz::1]:3000' }, /--listen.*not an IPv6 address/);
  refused({ listen: 'bad_host:3000' }, /--listen.*expected HOST:PORT/);
  refused({ listen: '3000' }, /--listen.*expected HOST:PORT.*got "3000"/);
});

test('upstream: parsed into entries once; an empty list is refused with the accepted form', () => {
  assert.deepEqual(load({ upstream: 'https://a.example|file:///mirror,off' }).upstream, [
    { kind: 'url', url: 'https://a.example', fallBackOnError: true },
    { kind: 'url', url: 'file:///mirror', fallBackOnError: false },
    { kind: 'off' },
  ]);
  refused({ upstream: '' }, /upstream \(flag --upstream, env MODGATE_UPSTREAM\): the upstream list is empty; expected a list in GOPROXY syntax/);
  refused({ upstream: '  ' }, /--upstream.*empty/);
  refused({ upstream: 'ftp://x' }, /--upstream.*unsupported scheme.*schemes allowed: https, http, file/);
});

test('sumdb: databases parsed once ("off" alone)', () => {
  assert.equal(load({ sumdb: 'off' }).sumdb, 'off');
  const dbs = load({ sumdb: `sum.golang.org,${SUM_GOLANG_ORG_KEY} https://mirror.example/sumdb` }).sumdb;
  assert.ok(dbs !== 'off');
  assert.deepEqual(dbs.map((d) => [d.name, d.url, d.explicitUrl]), [['sum.golang.org', 'https://sum.golang.org', false], ['sum.golang.org', 'https://mirror.example/sumdb', true]]);
  refused({ sumdb: 'off,sum.golang.org' }, /sumdb \(flag --sumdb, env MODGATE_SUMDB\): sumdb: "off" cannot be combined/);
  refused({ sumdb: 'sum.example.com' }, /--sumdb.*invalid GOSUMDB.*GOSUMDB is "off", a database name, a verifier key, or "key url"/);
});

test('storage: the scheme picks a registered driver', () => {
  assert.deepEqual(load({}).storage, { scheme: 'fs', location: '' });
  assert.deepEqual(load({ storage: 'fs:///var/cache/m' }).storage, { scheme: 'fs', location: '/var/cache/m' });
  assert.deepEqual(load({ storage: 'file:///var/cache/m' }).storage, { scheme: 'file', location: '/var/cache/m' });
  assert.deepEqual(load({ storage: 's3://bucket-1/go' }).storage, { scheme: 's3', location: 'bucket-1/go' });
  assert.deepEqual(load({ storage: 'memory://' }).storage, { scheme: 'memory', location: '' });
  refused({ storage: 's3://B' }, /storage \(flag --storage, env MODGATE_STORAGE\): expected fs:\/\/DIR or s3:\/\/BUCKET\[\/PREFIX\] or memory:\/\//);
  refused({ storage: 'memory://x' }, /--storage/);
});

test('git credentials and git config: parsed once, secrets never echoed', () => {
  const creds = load({ gitCredentials: '[{"host":"git.corp","token":"s3cret"}]' }).gitCredentials;
  assert.deepEqual(creds, [{ host: 'git.corp', token: 's3cret' }]);
  assert.deepEqual(load({ gitCredentials: [{ host: 'h', username: 'u', password: 'p' }] }).gitCredentials, [{ host: 'h', username: 'u', password: 'p' }]);
  for (const bad of ['{"host":"x","token":"s3cret"}', 'not json s3cret', '[{"host":"x","tok":"s3cret"}]']) {
    assert.throws(() => load({ gitCredentials: bad }), (e: Error) => /gitCredentials \(flag --git-credentials, env MODGATE_GIT_CREDENTIALS\): expected a JSON array of \{host/.test(e.message) && !e.message.includes('s3cret'), bad);
  }
  assert.deepEqual(load({ gitConfig: 'url.https://m/.insteadOf=https://github.com/; core.x=1' }).gitConfig, [['url.https://m/.insteadOf', 'https://github.com/'], ['core.x', '1']]);
  refused({ gitConfig: 'novalue' }, /gitConfig \(flag --git-config, env MODGATE_GIT_CONFIG\): expected key=value/);
});

test('token lists are lists', () => {
  assert.deepEqual(load({ adminTokens: 'a, b,,c' }).adminTokens, ['a', 'b', 'c']);
  assert.deepEqual(load({}).clientTokens, []);
});
