// The in-process coordinator: its own stats, then the shared coordinator compliance suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalCoordinator } from './local-coordinator.js';
import { runCoordinatorCompliance } from './coordinator-compliance.js';

test('concurrent callers share one fill and its result; a later call fills again', async () => {
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

test('a failing fill rejects every waiter and is not remembered', async () => {
  const c = createLocalCoordinator();
  let n = 0;
  const fill = async () => {
    n++;
    await Promise.resolve();
    throw new Error(`boom ${n}`);
  };
  const results = await Promise.allSettled([c.run('k', fill), c.run('k', fill)]);
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
  await assert.rejects(c.run('k', fill), /boom 2/);
});

runCoordinatorCompliance('local', async () => ({ replica: () => createLocalCoordinator(), cleanup: () => Promise.resolve() }));
