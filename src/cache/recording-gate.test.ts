// Tests for the recording gate: public versions are recorded with the upstream databases' hashes
// after the inner gate accepted them, private ones when their zip is first admitted (with the
// cached .mod), and bytes that differ from a record are refused with an event naming both hashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isModgateError } from '../errors/modgate-error.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { createEventLog } from '../observe/event-log.js';
import { generateKey } from '../sumdb/note.js';
import { parseSigningKey } from '../sumdb/signer-key.js';
import { memoryLogStore } from '../sumdb/log-store.js';
import { LogServer } from '../sumdb/log-server.js';
import { LogWriter, localWriterLease } from '../sumdb/log-writer.js';
import { hashGoMod } from '../zip/dirhash.js';
import { writeModuleZip } from '../../test/support/module-zip.js';
import { checkModuleZip } from '../zip/zip-check.js';
import type { IntegrityGate } from './integrity-gate.js';
import { versionKey } from './cache-keys.js';
import { createRecordingGate } from './recording-gate.js';

void test('records public versions after the inner gate, private ones at their zip; a changed version is refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-recording-gate-'));
  try {
    const key = parseSigningKey(generateKey('sum.corp.example.com').skey);
    const store = memoryLogStore();
    const server = new LogServer({ key, store, refreshMs: 0 });
    const writer = new LogWriter({ server, store, key, lease: localWriterLease(), batchDelayMs: 1 });
    const storage = createMemoryStorage();
    const events = createEventLog(storage);
    const zipA = join(dir, 'a.zip');
    const zipB = join(dir, 'b.zip');
    await writeModuleZip(zipA, 'example.com/pub', 'v1.0.0', { 'go.mod': 'module example.com/pub\n', 'a.go': 'package pub\n' });
    await writeModuleZip(zipB, 'example.com/pub', 'v1.0.0', { 'go.mod': 'module example.com/pub\n', 'a.go': 'package pub // changed\n' });
    const mod = Buffer.from('module example.com/pub\n');
    const { h1: zipHash } = await checkModuleZip(zipA, { path: 'example.com/pub', version: 'v1.0.0' });
    let innerCalls = 0;
    const inner: IntegrityGate = {
      checkMod: () => (innerCalls++, Promise.resolve({ h1: hashGoMod(mod) })),
      checkZip: (s, f) => (innerCalls++, checkModuleZip(f, s)),
    };
    const refusals: string[] = [];
    const gate = createRecordingGate({
      inner, recorder: writer, name: 'sum.corp.example.com', nosumdb: 'corp.example.com', storage, events,
      expected: () => Promise.resolve({ mod: hashGoMod(mod), zip: zipHash }),
      onRefusal: (k) => refusals.push(k),
    });
    const pub = { path: 'example.com/pub', version: 'v1.0.0', source: 'https://mirror.test' };
    await gate.checkMod(pub, mod);
    assert.equal(innerCalls, 1);
    assert.deepEqual((await writer.recorded(pub.path, pub.version))?.hashes, { modHash: hashGoMod(mod), zipHash });
    await gate.checkZip(pub, zipA);
    assert.equal(innerCalls, 1, 'a recorded version is checked against its record');
    await assert.rejects(gate.checkZip(pub, zipB), (e) => isModgateError(e, 'CHECKSUM_MISMATCH') && e.message.includes(`recorded in sum.corp.example.com (record 0): ${zipHash}`) && /upstream served now: h1:/.test(e.message));
    assert.deepEqual(refusals, ['zip']);
    const [ev] = await events.recent({ type: 'record_mismatch' });
    assert.equal(ev?.details.expected, zipHash);

    // A private version: the .mod alone is not recorded; its zip records both with the cached .mod.
    const priv = { path: 'corp.example.com/lib', version: 'v0.1.0', source: 'direct' };
    const privMod = Buffer.from('module corp.example.com/lib\n');
    const privZip = join(dir, 'p.zip');
    await writeModuleZip(privZip, priv.path, priv.version, { 'go.mod': 'module corp.example.com/lib\n', 'l.go': 'package lib\n' });
    await gate.checkMod(priv, privMod);
    assert.equal(await writer.recorded(priv.path, priv.version), undefined);
    await storage.put(versionKey(priv.path, priv.version, 'mod'), privMod);
    const { h1 } = await gate.checkZip(priv, privZip);
    assert.deepEqual((await writer.recorded(priv.path, priv.version))?.hashes, { modHash: hashGoMod(privMod), zipHash: h1 });
    assert.equal(innerCalls, 1, 'private paths never reach the inner gate (no pins, no public database)');
    await assert.rejects(gate.checkMod(priv, Buffer.from('module corp.example.com/lib\n\ngo 1.21\n')), (e) => isModgateError(e, 'CHECKSUM_MISMATCH'));
    assert.deepEqual(refusals, ['zip', 'mod']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
