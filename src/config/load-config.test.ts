// Config loading: precedence (file < env < flags), coercion of numbers and booleans, frozen result,
// and errors naming the field, its flag and env var, and the accepted form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envNameOf, flagNameOf, loadConfig } from './load-config.js';
import { parseGosumdb } from '../sumdb/gosumdb.js';

test('defaults are the go command\'s: upstream and checksum DB', () => {
  const c = loadConfig({ env: {} });
  assert.deepEqual(c.upstream, [{ kind: 'url', url: 'https://proxy.golang.org', fallBackOnError: false }, { kind: 'direct', fallBackOnError: false }]);
  assert.deepEqual(c.sumdb, [parseGosumdb('sum.golang.org')]);
  assert.equal(c.listTtlSeconds, 60);
  assert.ok(Object.isFrozen(c));
});

test('file < env < flags, with numbers and booleans coerced from strings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modgate-config-'));
  const file = join(dir, 'modgate.json');
  writeFileSync(file, JSON.stringify({ listen: '0.0.0.0:1', listTtlSeconds: 5, prefetch: false, cacheDir: '/from/file' }));
  const c = loadConfig({
    file,
    env: { MODGATE_LISTEN: '0.0.0.0:2', MODGATE_LIST_TTL_SECONDS: '7', MODGATE_PREFETCH: 'yes' },
    flags: { listen: '127.0.0.1:3' },
  });
  assert.deepEqual(c.listen, { host: '127.0.0.1', port: 3 });
  assert.equal(c.listTtlSeconds, 7);
  assert.equal(c.prefetch, true);
  assert.equal(c.cacheDir, '/from/file');
});

test('bad values stop with the field, its flag and env var, and the accepted form', () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ listen: 'nope' }, /listen \(flag --listen, env MODGATE_LISTEN\): expected HOST:PORT/],
    [{ listTtlSeconds: 'abc' }, /listTtlSeconds \(flag --list-ttl-seconds, env MODGATE_LIST_TTL_SECONDS\)/],
    [{ storage: 'gs://bucket' }, /expected fs:\/\/DIR or s3:\/\/BUCKET/],
    [{ redis: 'http://x' }, /expected redis:\/\/HOST:PORT/],
    [{ prefetch: 'maybe' }, /prefetch \(flag --prefetch/],
    [{ logLevel: 'loud' }, /logLevel/],
    [{ tlsCert: '/etc/modgate/cert.pem' }, /tlsKey \(flag --tls-key, env MODGATE_TLS_KEY\): give both --tls-cert and --tls-key \(or neither\)/],
    [{ tlsKey: '/etc/modgate/key.pem' }, /tlsCert \(flag --tls-cert, env MODGATE_TLS_CERT\): give both --tls-cert and --tls-key/],
  ];
  for (const [flags, want] of cases) {
    assert.throws(() => loadConfig({ env: {}, flags }), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && want.test(e.message), JSON.stringify(flags));
  }
  assert.throws(() => loadConfig({ env: {}, flags: { nonsense: 1 } }), /Unrecognized key|nonsense/);
  assert.throws(() => loadConfig({ env: { MODGATE_CONFIG: '/does/not/exist.json' } }), /cannot read config file/);
});

test('flag and env names', () => {
  assert.equal(flagNameOf('upstreamTimeoutMs'), 'upstream-timeout-ms');
  assert.equal(envNameOf('upstreamTimeoutMs'), 'MODGATE_UPSTREAM_TIMEOUT_MS');
});
