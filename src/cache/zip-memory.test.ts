// The hot-zip memory's rules, in process: the budget holds (copies held plus reads in progress
// never exceed it, whatever the order of loads), least recently used copies go first, a zip above
// the per-zip maximum is never read, one read per key at a time, a copy is only served for the
// stored file it was read from, a short read is not kept, and dropping a prefix drops its copies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createZipMemory } from './zip-memory.js';

const stat = (size: number, t = 1_000) => ({ size, modified: new Date(t) });
const bytes = (size: number, fill = 1) => Buffer.alloc(size, fill);

/** A read that resolves when told to, counting calls. */
function deferredRead(body: Buffer | undefined) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const r = { calls: 0, release, read: async () => { r.calls++; await gate; return body; } };
  return r;
}

test('loads are kept and served; the per-zip maximum is never read', async () => {
  const m = createZipMemory({ budgetBytes: 100, maxZipBytes: 30 });
  assert.deepEqual(await m.load('a', stat(30), async () => bytes(30)), bytes(30));
  assert.deepEqual(m.get('a', stat(30)), bytes(30));
  let read = 0;
  assert.equal(m.load('big', stat(31), async () => (read++, bytes(31))), undefined);
  assert.equal(read, 0, 'a zip above the maximum is not read');
  assert.equal(m.get('big', stat(31)), undefined);
  assert.deepEqual([m.count, m.heldBytes], [1, 30]);
});

test('the budget holds for any order of loads, concurrent reads included; the oldest copies go first', async () => {
  const budget = 1000;
  const m = createZipMemory({ budgetBytes: budget, maxZipBytes: 400 });
  // A seeded walk: loads of random sizes, some left pending, some resolved, gets between them.
  let seed = 7;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const pending: Array<{ release: () => void; size: number; done: Promise<unknown> }> = [];
  let reserved = 0;
  for (let i = 0; i < 400; i++) {
    const size = 1 + rand(450);
    const key = `k${rand(40)}`;
    const r = deferredRead(bytes(size));
    const done = m.load(key, stat(size, i), r.read);
    if (done !== undefined && r.calls === 1) {
      pending.push({ release: r.release, size, done });
      reserved += size;
    }
    assert.ok(m.heldBytes + reserved <= budget, `step ${i}: held ${m.heldBytes} + reading ${reserved} > ${budget}`);
    if (rand(2) === 0 && pending.length > 0) {
      const p = pending.splice(rand(pending.length), 1)[0]!;
      p.release();
      await p.done;
      reserved -= p.size;
      assert.ok(m.heldBytes + reserved <= budget, `step ${i} after a read: held ${m.heldBytes} + reading ${reserved} > ${budget}`);
    }
  }
  for (const p of pending) p.release();
  await Promise.all(pending.map((p) => p.done));
  assert.ok(m.heldBytes <= budget);

  // LRU: with a, b held, a used again, c's room comes from b.
  const l = createZipMemory({ budgetBytes: 100, maxZipBytes: 50 });
  await l.load('a', stat(40), async () => bytes(40));
  await l.load('b', stat(40), async () => bytes(40));
  assert.ok(l.get('a', stat(40)));
  await l.load('c', stat(40), async () => bytes(40));
  assert.deepEqual([Boolean(l.get('a', stat(40))), Boolean(l.get('b', stat(40))), Boolean(l.get('c', stat(40)))], [true, false, true]);
});

test('reads in progress count: no room beside them means streaming (undefined), not a read', async () => {
  const m = createZipMemory({ budgetBytes: 100, maxZipBytes: 50 });
  const a = deferredRead(bytes(50));
  const b = deferredRead(bytes(50));
  const pa = m.load('a', stat(50), a.read);
  const pb = m.load('b', stat(50), b.read);
  let read = 0;
  assert.equal(m.load('c', stat(1), async () => (read++, bytes(1))), undefined);
  assert.equal(read, 0);
  a.release();
  b.release();
  await Promise.all([pa, pb]);
  assert.equal(m.heldBytes, 100);
});

test('one read per key at a time; a copy serves only the stored file it was read from', async () => {
  const m = createZipMemory({ budgetBytes: 100, maxZipBytes: 50 });
  const r = deferredRead(bytes(10, 7));
  const first = m.load('a', stat(10), r.read);
  const second = m.load('a', stat(10), r.read);
  assert.equal(m.load('a', stat(10, 2_000), r.read), undefined, 'another stored file while the first is read: streamed');
  r.release();
  assert.deepEqual(await first, bytes(10, 7));
  assert.deepEqual(await second, bytes(10, 7));
  assert.equal(r.calls, 1);
  assert.equal(m.get('a', stat(10, 2_000)), undefined, 'stored again (another time): not this copy');
  assert.equal(m.get('a', stat(11)), undefined, 'another size: not this copy');
  assert.deepEqual(await m.load('a', stat(10, 2_000), async () => bytes(10, 8)), bytes(10, 8));
  assert.deepEqual(m.get('a', stat(10, 2_000)), bytes(10, 8));
  assert.equal(m.heldBytes, 10);
});

test('a read that finds other bytes than the stat says (or none) is not kept', async () => {
  const m = createZipMemory({ budgetBytes: 100, maxZipBytes: 50 });
  assert.equal(await m.load('a', stat(10), async () => bytes(9)), undefined);
  assert.equal(await m.load('b', stat(10), async () => undefined), undefined);
  await assert.rejects(m.load('c', stat(10), async () => Promise.reject(new Error('disk'))) ?? Promise.resolve(), /disk/);
  assert.deepEqual([m.count, m.heldBytes], [0, 0]);
  // Nothing is left reserved: the whole budget is free again.
  assert.ok(await m.load('d', stat(50), async () => bytes(50)));
  assert.ok(await m.load('e', stat(50), async () => bytes(50)));
  assert.equal(m.heldBytes, 100);
});

test('dropPrefix drops held copies and reads in progress under it, only those', async () => {
  const m = createZipMemory({ budgetBytes: 100, maxZipBytes: 50 });
  await m.load('example.com/a/@v/v1.zip', stat(10), async () => bytes(10));
  await m.load('example.com/b/@v/v1.zip', stat(10), async () => bytes(10));
  const r = deferredRead(bytes(10));
  const inProgress = m.load('example.com/a/@v/v2.zip', stat(10), r.read);
  m.dropPrefix('example.com/a/');
  r.release();
  assert.deepEqual(await inProgress, bytes(10), 'the waiting request is still answered');
  assert.equal(m.get('example.com/a/@v/v1.zip', stat(10)), undefined);
  assert.equal(m.get('example.com/a/@v/v2.zip', stat(10)), undefined, 'a read dropped while in progress is not kept');
  assert.ok(m.get('example.com/b/@v/v1.zip', stat(10)));
  m.dropPrefix('');
  assert.deepEqual([m.count, m.heldBytes], [0, 0]);
});
