// The in-process coordinator: its own stats, then the shared coordinator compliance suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalCoordinator } from './local-coordinator.js';
import { runCoordinatorCompliance } from './coordinator-compliance.js';

test('stats: 50 concurrent callers are one fill and 49 joins; a later call fills again', async () => {
  const c = createLocalCoordinator();
  let calls = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const fill = async () => {
    calls++;
    await gate;
    return calls;
  };
  const all = Array.from({ length: 50 }, () => c.run('k', fill));
  assert.equal(c.inFlight, 1);
  release();
  assert.deepEqual(await Promise.all(all), Array(50).fill(1));
  assert.equal(calls, 1);
  assert.equal(c.stats.joins, 49);
  assert.equal(c.inFlight, 0);
  assert.equal(await c.run('k', fill), 2);
});

runCoordinatorCompliance('local', async () => ({ replica: () => createLocalCoordinator(), cleanup: () => Promise.resolve() }));
