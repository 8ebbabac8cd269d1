// modgate's own log checked by Go's reference code: x/mod's sumdb.Client, tlog.ProveRecord/
// CheckRecord and ProveTree/CheckTree (test/gohelper verify-log) read it over HTTP.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKey } from './note.js';
import { recordHash } from './tlog.js';
import { memoryLogStore } from './log-store.js';
import { LogServer } from './log-server.js';
import { LogWriter, localWriterLease } from './log-writer.js';
import { serveLogHttp } from './own-log-test-http.js';
import { parseSigningKey } from './signer-key.js';
import { verifyLogGo } from '../../test/support/gohelper.js';

const h1 = (s: string): string => `h1:${recordHash(Buffer.from(s)).toString('base64')}`;

void test('x/mod verifies every lookup, record and earlier tree head of modgate\'s log', async () => {
  const key = parseSigningKey(generateKey('sum.corp.example.com').skey);
  const store = memoryLogStore();
  const server = new LogServer({ key, store, refreshMs: 0 });
  const writer = new LogWriter({ server, store, key, lease: localWriterLease(), batchDelayMs: 1 });
  const http = await serveLogHttp(server);
  try {
    const notes: string[] = [];
    const mods: string[] = [];
    // Batch sizes chosen to cross tile boundaries at levels 0 and 1 (256 and 65536 is too many).
    for (const size of [1, 2, 5, 250, 3, 300, 1]) {
      const batch = Array.from({ length: size }, (_, i) => `example.com/Team${mods.length + i}/x`);
      await Promise.all(batch.map((p) => writer.record(p, 'v1.2.3', { zipHash: h1(`z${p}`), modHash: h1(`m${p}`) })));
      mods.push(...batch);
      notes.push((await server.latest()).toString());
    }
    const lookups = [mods[0]!, mods[255]!, mods[256]!, mods.at(-1)!].map((m) => `${m}@v1.2.3`);
    const r = await verifyLogGo({ url: http.url, vkey: key.vkey, lookups, notes });
    assert.deepEqual(r.errors, []);
    assert.equal(r.size, mods.length);
    assert.equal(r.treesChecked, notes.length);
    assert.deepEqual(r.records, mods.map((m) => `${m}@v1.2.3`));
    assert.deepEqual(r.duplicates, []);
    assert.deepEqual(r.lookups.map((l) => l.lines), [mods[0]!, mods[255]!, mods[256]!, mods.at(-1)!].map((m) => [`${m} v1.2.3 ${h1(`z${m}`)}`]));
    // A tree head from another history (same key) is reported, not accepted.
    const otherStore = memoryLogStore();
    const other = new LogServer({ key, store: otherStore, refreshMs: 0 });
    const otherWriter = new LogWriter({ server: other, store: otherStore, key, lease: localWriterLease(), batchDelayMs: 1 });
    await otherWriter.record('example.com/forged', 'v1.0.0', { zipHash: h1('a'), modHash: h1('b') });
    const forged = await verifyLogGo({ url: http.url, vkey: key.vkey, notes: [(await other.latest()).toString()] });
    assert.equal(forged.errors.length, 1);
    assert.match(forged.errors[0]!, /not a prefix/);
  } finally {
    await http.close();
  }
});
