// Tests for modgate's own log (log-server, log-writer, log-commit): records appended in batches
// verify with the verifier client, tiles and roots equal an independent tlog computation, versions
// never change, and a store rewound or forked behind the server's back is never published.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isModgateError } from '../errors/modgate-error.js';
import { escapePath, escapeVersion } from '../module/escape.js';
import { generateKey } from './note.js';
import { createSumdbClient, type SumdbTransport } from './sumdb-client.js';
import { memoryStore } from './sumdb-test-db.js';
import { type Hash, recordHash, storedHashesForRecordHash, treeHash } from './tlog.js';
import { parseTree } from './tlog-note.js';
import { readTileData } from './tlog-tile.js';
import { memoryLogStore, TREE_KEY } from './log-store.js';
import { LogServer, type LogAlarm } from './log-server.js';
import { LogWriter, localWriterLease } from './log-writer.js';
import { answerLogPath } from './log-paths.js';
import { parseSigningKey } from './signer-key.js';
import { formatGoSumRecord } from './log-record.js';

const NAME = 'sum.corp.example.com';
const h1 = (s: string): string => `h1:${recordHash(Buffer.from(s)).toString('base64')}`;
const hashes = (path: string, v: string, salt = '') => ({ zipHash: h1(`zip ${path} ${v} ${salt}`), modHash: h1(`mod ${path} ${v} ${salt}`) });

function makeLog(opts: { store?: ReturnType<typeof memoryLogStore>; skey?: string; alarms?: LogAlarm[] } = {}) {
  const skey = opts.skey ?? generateKey(NAME).skey;
  const key = parseSigningKey(skey);
  const store = opts.store ?? memoryLogStore();
  const server = new LogServer({ key, store, refreshMs: 0, onAlarm: (a) => opts.alarms?.push(a) });
  const writer = new LogWriter({ server, store, key, lease: localWriterLease(), batchDelayMs: 1 });
  const transport: SumdbTransport = {
    get: (p) => answerLogPath({ server }, p),
  };
  return { skey, key, store, server, writer, transport };
}

/** The root and tiles of the same records computed with tlog alone (no log-store code). */
async function reference(texts: readonly Buffer[]): Promise<{ root: Hash; read: (ix: readonly number[]) => Promise<Hash[]> }> {
  const stored: Hash[] = [];
  const read = (ix: readonly number[]) => Promise.resolve(ix.map((i) => stored[i]!));
  for (let i = 0; i < texts.length; i++) stored.push(...(await storedHashesForRecordHash(i, recordHash(texts[i]!), read)));
  return { root: await treeHash(texts.length, read), read };
}

void test('batched records verify with the client; root and tiles equal a plain tlog computation', async () => {
  const log = makeLog();
  const texts: Buffer[] = [];
  const names = Array.from({ length: 600 }, (_, i) => `example.com/Mod${i}`);
  // Several batches of different sizes, each awaited, so tiles are extended across batches.
  for (const [lo, hi] of [[0, 1], [1, 200], [200, 256], [256, 257], [257, 600]] as const) {
    const outs = await Promise.all(names.slice(lo, hi).map((p) => log.writer.record(p, 'v1.0.0', hashes(p, 'v1.0.0'))));
    outs.forEach((o, i) => {
      assert.equal(o.status, 'recorded');
      assert.equal(o.id, lo + i);
    });
    texts.push(...names.slice(lo, hi).map((p) => formatGoSumRecord(p, 'v1.0.0', hashes(p, 'v1.0.0'))));
  }
  const ref = await reference(texts);
  const tree = parseTree((await log.server.latest()).toString().split('\n\n')[0]! + '\n');
  assert.equal(tree.n, 600);
  assert.ok(tree.hash.equals(ref.root));
  for (const t of [{ h: 8, l: 0, n: 0, w: 256 }, { h: 8, l: 0, n: 2, w: 88 }, { h: 8, l: 0, n: 2, w: 10 }, { h: 8, l: 1, n: 0, w: 2 }]) {
    const path = `tile/8/${t.l}/00${t.n}${t.w === 256 ? '' : `.p/${t.w}`}`;
    assert.ok((await answerLogPath({ server: log.server }, path)).equals(await readTileData(t, ref.read)), path);
  }
  await assert.rejects(answerLogPath({ server: log.server }, 'tile/8/0/002.p/89'), (e) => isModgateError(e, 'NOT_FOUND'));
  await assert.rejects(answerLogPath({ server: log.server }, 'tile/8/0/02'), (e) => isModgateError(e, 'INVALID_REQUEST'));
  const data = (await answerLogPath({ server: log.server }, 'tile/8/data/002.p/3')).toString();
  assert.equal(data, texts.slice(512, 515).map((t, i) => `${512 + i}\n${t.toString()}\n`).join(''));

  const client = createSumdbClient({ name: NAME, vkey: log.key.vkey, transport: log.transport, store: memoryStore() });
  for (const i of [0, 255, 256, 599]) {
    assert.deepEqual(await client.lookup(names[i]!, 'v1.0.0'), hashes(names[i]!, 'v1.0.0'));
  }
  assert.ok((await client.tile('tile/8/data/001')).length > 0);
  const raw = (await log.transport.get(`lookup/${escapePath(names[7]!)}@${escapeVersion('v1.0.0')}`)).toString();
  assert.ok(raw.startsWith(`7\n${texts[7]!.toString()}\ngo.sum database tree\n600\n`));
});

void test('a recorded version never changes: same hashes are found, other hashes are a conflict', async () => {
  const log = makeLog();
  const first = await log.writer.record('example.com/a', 'v1.0.0', hashes('example.com/a', 'v1.0.0'));
  assert.deepEqual(first, { status: 'recorded', id: 0, recorded: hashes('example.com/a', 'v1.0.0') });
  const again = await log.writer.record('example.com/a', 'v1.0.0', hashes('example.com/a', 'v1.0.0'));
  assert.equal(again.status, 'existing');
  const other = await log.writer.record('example.com/a', 'v1.0.0', hashes('example.com/a', 'v1.0.0', 'force-pushed'));
  assert.deepEqual(other, { status: 'conflict', id: 0, recorded: hashes('example.com/a', 'v1.0.0') });
  // Concurrent submissions of one version in one batch: one record, the rest agree or conflict.
  const outs = await Promise.all([
    log.writer.record('example.com/b', 'v1.0.0', hashes('example.com/b', 'v1.0.0')),
    log.writer.record('example.com/b', 'v1.0.0', hashes('example.com/b', 'v1.0.0')),
    log.writer.record('example.com/b', 'v1.0.0', hashes('example.com/b', 'v1.0.0', 'x')),
  ]);
  assert.deepEqual(outs.map((o) => [o.status, o.id]), [['recorded', 1], ['recorded', 1], ['conflict', 1]]);
  assert.equal(log.server.published.tree.n, 2);
});

void test('a restarted server and writer continue the stored log; a batch cut short is not published', async () => {
  const log = makeLog();
  await log.writer.record('example.com/a', 'v1.0.0', hashes('example.com/a', 'v1.0.0'));
  const tree1 = log.store.data.get(TREE_KEY)!;
  // A writer that died after writing its tiles and index but before its tree head.
  const dying = makeLog({ store: log.store, skey: log.skey });
  const realPut = log.store.put.bind(log.store);
  log.store.put = (key, data) => (key === TREE_KEY ? Promise.reject(new Error('killed')) : realPut(key, data));
  await assert.rejects(dying.writer.record('example.com/lost', 'v1.0.0', hashes('example.com/lost', 'v1.0.0')), /killed/);
  log.store.put = realPut;
  assert.ok(log.store.data.get(TREE_KEY)!.equals(tree1));
  const restarted = makeLog({ store: log.store, skey: log.skey });
  assert.equal(await restarted.server.lookup('example.com/lost', 'v1.0.0'), undefined);
  assert.equal((await restarted.writer.recorded('example.com/a', 'v1.0.0'))?.id, 0);
  const out = await restarted.writer.record('example.com/other', 'v2.0.0', hashes('example.com/other', 'v2.0.0'));
  assert.equal(out.id, 1);
  assert.equal(await restarted.server.lookup('example.com/lost', 'v1.0.0'), undefined, 'the stale index entry names another record');
  const lost = await restarted.writer.record('example.com/lost', 'v1.0.0', hashes('example.com/lost', 'v1.0.0'));
  assert.deepEqual([lost.status, lost.id], ['recorded', 2]);
  const client = createSumdbClient({ name: NAME, vkey: log.key.vkey, transport: restarted.transport, store: memoryStore() });
  assert.deepEqual(await client.lookup('example.com/lost', 'v1.0.0'), hashes('example.com/lost', 'v1.0.0'));
});

void test('a store rewound or forked (same key, other history) is never published', async () => {
  const alarms: LogAlarm[] = [];
  const log = makeLog({ alarms });
  for (let i = 0; i < 5; i++) await log.writer.record(`example.com/m${i}`, 'v1.0.0', hashes(`example.com/m${i}`, 'v1.0.0'));
  const published = log.server.published;
  // Another history signed with the same key, written over the store.
  const forged = makeLog({ skey: log.skey });
  for (let i = 0; i < 7; i++) await forged.writer.record(`example.com/f${i}`, 'v1.0.0', hashes(`example.com/f${i}`, 'v1.0.0'));
  for (const [k, v] of forged.store.data) log.store.data.set(k, v);
  assert.ok((await log.server.latest()).equals(published.note));
  assert.equal(alarms.at(-1)?.kind, 'fork');
  // Rewound: an older tree head put back.
  const rewound = makeLog({ skey: log.skey, alarms });
  await rewound.writer.record('example.com/m0', 'v1.0.0', hashes('example.com/m0', 'v1.0.0'));
  log.store.data.set(TREE_KEY, rewound.store.data.get(TREE_KEY)!);
  assert.ok((await log.server.latest()).equals(published.note));
  assert.equal(alarms.at(-1)?.kind, 'rewind');
  // The writer refuses to extend a tree it cannot publish.
  await assert.rejects(log.writer.record('example.com/new', 'v1.0.0', hashes('example.com/new', 'v1.0.0')), (e) => isModgateError(e, 'SUMDB_FORK'));
});

void test('the empty log publishes a signed tree of size 0', async () => {
  const log = makeLog();
  const note = (await log.server.latest()).toString();
  assert.match(note, /^go\.sum database tree\n0\n/);
  await assert.rejects(answerLogPath({ server: log.server }, 'lookup/example.com/x@v1.0.0'), (e) => isModgateError(e, 'NOT_FOUND'));
  assert.equal((await answerLogPath({ server: log.server }, 'supported')).length, 0);
});

void test('a restarted server never publishes a stored tree that does not extend the one it published before', async () => {
  const alarms: LogAlarm[] = [];
  const log = makeLog();
  for (let i = 0; i < 3; i++) await log.writer.record(`example.com/m${i}`, 'v1.0.0', hashes(`example.com/m${i}`, 'v1.0.0'));
  const kept = log.server.published.note;
  // Storage rewound while the replica was down (an older tree head put back).
  const older = makeLog({ skey: log.skey });
  await older.writer.record('example.com/m0', 'v1.0.0', hashes('example.com/m0', 'v1.0.0'));
  for (const [k, v] of older.store.data) log.store.data.set(k, v);
  const published: string[] = [];
  const restarted = new LogServer({ key: log.key, store: log.store, refreshMs: 0, lastPublished: kept, onAlarm: (a) => alarms.push(a), onPublish: (t) => published.push(t.note.toString()) });
  assert.ok((await restarted.latest()).equals(kept));
  assert.equal(alarms.at(-1)?.kind, 'rewind');
  assert.deepEqual(published, []);
  // A last-published note of another key is ignored (the server starts from the empty tree).
  const other = new LogServer({ key: parseSigningKey(generateKey(NAME).skey), store: log.store, refreshMs: 0, lastPublished: kept });
  assert.equal(other.published.tree.n, 0);
});
