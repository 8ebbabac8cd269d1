// entryBound: an lru-cache bounded by entry count without preallocated arrays keeps the bound and
// the least-recently-used eviction order of `max`, with and without a TTL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LRUCache } from 'lru-cache';
import { entryBound } from './lru-bound.js';

test('entryBound(n) holds at most n entries and evicts the least recently used', () => {
  const c = new LRUCache<string, number>({ ...entryBound(3) });
  for (const [i, k] of ['a', 'b', 'c'].entries()) c.set(k, i);
  assert.equal(c.get('a'), 0); // a is now the most recently used
  c.set('d', 3);
  assert.equal(c.size, 3);
  assert.equal(c.has('b'), false, 'b was the least recently used');
  assert.deepEqual([...c.keys()].sort(), ['a', 'c', 'd']);
  for (let i = 0; i < 1000; i++) c.set(`k${i}`, i);
  assert.equal(c.size, 3);
  assert.deepEqual([...c.keys()].sort(), ['k997', 'k998', 'k999']);
});

test('entryBound(n) with a TTL: entries expire and the bound still holds', () => {
  let now = 1000; // lru-cache reads a start time of 0 as "no TTL"
  const c = new LRUCache<string, number>({ ...entryBound(2), ttl: 10, ttlResolution: 0, perf: { now: () => now } });
  c.set('a', 1);
  c.set('b', 2);
  c.set('c', 3);
  assert.equal(c.has('a'), false);
  now = 1011;
  assert.equal(c.get('b'), undefined);
  assert.equal(c.get('c'), undefined);
  c.set('d', 4);
  assert.equal(c.get('d'), 4);
});
