// Tests for `modgate sumdb keygen` and `modgate sumdb audit` against a log served over HTTP:
// key file mode and verifier key, the witness state, and loud failures on a rewind or a fork
// (another history signed with the same key).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isModgateError } from '../errors/modgate-error.js';
import { recordHash } from '../sumdb/tlog.js';
import { memoryLogStore } from '../sumdb/log-store.js';
import { LogServer } from '../sumdb/log-server.js';
import { LogWriter, localWriterLease } from '../sumdb/log-writer.js';
import { parseSigningKey } from '../sumdb/signer-key.js';
import { serveLogHttp } from '../sumdb/own-log-test-http.js';
import { runAudit, runKeygen } from './sumdb-commands.js';

const h1 = (s: string): string => `h1:${recordHash(Buffer.from(s)).toString('base64')}`;

function logWith(skey: string) {
  const key = parseSigningKey(skey);
  const store = memoryLogStore();
  const server = new LogServer({ key, store, refreshMs: 0 });
  const writer = new LogWriter({ server, store, key, lease: localWriterLease(), batchDelayMs: 1 });
  const add = async (prefix: string, n: number) => {
    await Promise.all(Array.from({ length: n }, (_, i) => writer.record(`example.com/${prefix}${i}`, 'v1.0.0', { zipHash: h1(`z${prefix}${i}`), modHash: h1(`m${prefix}${i}`) })));
  };
  return { server, add };
}

void test('keygen writes a 0600 key file and prints the verifier key first; audit witnesses growth, rewinds and forks', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-sumdb-cli-'));
  try {
    const keyFile = join(dir, 'sumdb.key');
    const gen = await runKeygen('sum.corp.example.com', keyFile, 'http://modgate.test:8080');
    assert.match(gen.vkey, /^sum\.corp\.example\.com\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/);
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    const skey = (await readFile(keyFile, 'utf8')).trim();
    assert.equal(parseSigningKey(skey).vkey, gen.vkey);
    assert.match(gen.settings, new RegExp(`GOSUMDB="${gen.vkey.replace(/[+]/g, '\\+')} http://modgate.test:8080/sumdb/sum.corp.example.com"`));
    assert.match(gen.settings, /^GONOSUMDB=$/m);
    await assert.rejects(runKeygen('sum.corp.example.com', keyFile, 'http://x'), (e) => isModgateError(e, 'CONFIG_INVALID') && /already exists/.test(e.message));
    await assert.rejects(runKeygen('bad name', join(dir, 'k2'), 'http://x'), (e) => isModgateError(e, 'CONFIG_INVALID'));

    const real = logWith(skey);
    await real.add('a', 3);
    const http = await serveLogHttp(real.server);
    try {
      const state = join(dir, 'audit.json');
      await assert.rejects(runAudit(http.url, { state }), /verifier key is needed/);
      assert.equal((await runAudit(http.url, { state, key: gen.vkey })).status, 'first');
      assert.equal((await runAudit(http.url, { state })).status, 'same');
      await real.add('b', 300);
      const grew = await runAudit(http.url, { state });
      assert.deepEqual([grew.status, grew.previousSize, grew.size], ['grew', 3, 303]);

      // Same key, another history that is larger: the consistency proof fails.
      const forged = logWith(skey);
      await forged.add('x', 400);
      http.swap(forged.server);
      await assert.rejects(runAudit(http.url, { state }), (e) => isModgateError(e, 'SUMDB_FORK') && /forked: tree 400 does not extend tree 303/.test(e.message));
      // Same key, a shorter history: a rewind.
      const rewound = logWith(skey);
      await rewound.add('a', 3);
      http.swap(rewound.server);
      await assert.rejects(runAudit(http.url, { state }), (e) => isModgateError(e, 'SUMDB_FORK') && /rewound: it now has 3 records, 303/.test(e.message));
      // The state still holds the honest tree: the real log passes again.
      http.swap(real.server);
      assert.equal((await runAudit(http.url, { state })).status, 'same');
      // Another key: the signature check fails.
      const other = logWith((await import('../sumdb/note.js')).generateKey('sum.corp.example.com').skey);
      await other.add('a', 3);
      http.swap(other.server);
      await assert.rejects(runAudit(http.url, { state }), (e) => isModgateError(e, 'SUMDB_ERROR') && /does not verify/.test(e.message));
    } finally {
      await http.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
