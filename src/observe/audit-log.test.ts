// The audit log over a memory store with a fake clock: records are found by module, version,
// identity and time before and after they are written; another process (a second log over the same
// store) sees written batches; batches older than the retention are removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuditLog, type AuditRecord } from './audit-log.js';
import { createMemoryStorage } from '../storage/memory-storage.js';

const rec = (time: string, identity: string, module: string, version?: string): AuditRecord => ({
  time, identity, ip: '127.0.0.1', method: 'GET', module, kind: 'zip', status: 200, ...(version ? { version } : {}),
});

test('audit: query by module, version, identity and since; unwritten and written records alike; retention', async () => {
  const storage = createMemoryStorage();
  let now = new Date('2026-03-01T10:00:00Z');
  const log = createAuditLog({ storage, retentionDays: 1, flushMs: 3_600_000, now: () => now });
  log.record(rec('2026-03-01T09:00:00.000Z', 'ci', 'example.com/a', 'v1.0.0'));
  log.record(rec('2026-03-01T09:30:00.000Z', 'dev', 'example.com/a', 'v1.1.0'));
  log.record(rec('2026-03-01T09:45:00.000Z', 'ci', 'example.com/b', 'v0.1.0'));
  // Not written yet: still answered.
  assert.deepEqual((await log.query({ module: 'example.com/a' })).map((r) => r.identity), ['dev', 'ci']);
  await log.flush();
  const keys: string[] = [];
  for await (const k of storage.list('.modgate/audit/')) keys.push(k);
  assert.equal(keys.length, 1);
  assert.match(keys[0]!, /^\.modgate\/audit\/2026-03-01T09\/.*\.jsonl$/);
  const other = createAuditLog({ storage, retentionDays: 1, flushMs: 3_600_000, now: () => now });
  assert.deepEqual((await other.query({ module: 'example.com/a', version: 'v1.0.0' })).map((r) => r.identity), ['ci']);
  assert.deepEqual((await other.query({ identity: 'ci' })).map((r) => r.module), ['example.com/b', 'example.com/a']);
  assert.deepEqual((await other.query({ since: new Date('2026-03-01T09:20:00Z') })).map((r) => r.identity), ['ci', 'dev']);
  assert.equal((await other.query({ module: 'example.com/none' })).length, 0);
  await other.close();
  // Two days later a new batch is written; the old one falls out of the retention.
  now = new Date('2026-03-03T12:00:00Z');
  log.record(rec('2026-03-03T12:00:00.000Z', 'ci', 'example.com/a', 'v1.2.0'));
  await log.close();
  assert.deepEqual((await log.query({ module: 'example.com/a' })).map((r) => r.version), ['v1.2.0']);
});
