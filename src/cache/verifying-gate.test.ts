// The verifying gate over an in-memory test checksum database against the shared integrity gate
// compliance suite.
import { createSumdbClient } from '../sumdb/sumdb-client.js';
import { createMultiVerifier } from '../sumdb/sumdb-verifier.js';
import { TestSumdb, memoryStore } from '../sumdb/sumdb-test-db.js';
import { createMemoryStorage } from '../storage/memory-storage.js';
import { createEventLog } from '../observe/event-log.js';
import { createVerifyingGate } from './verifying-gate.js';
import { runIntegrityGateCompliance } from './integrity-gate-compliance.js';

runIntegrityGateCompliance('verifying', async (known) => {
  const db = TestSumdb.create();
  for (const k of known) await db.addHashes(k.path, k.version, k.zipHash, k.modHash);
  const storage = createMemoryStorage();
  const gate = createVerifyingGate({
    verifier: createMultiVerifier([{ name: db.name, client: createSumdbClient({ name: db.name, vkey: db.vkey, transport: db.transport, store: memoryStore() }) }]),
    nosumdb: '',
    storage,
    events: createEventLog(storage),
  });
  return { gate, cleanup: () => Promise.resolve() };
}, { verifies: true });
