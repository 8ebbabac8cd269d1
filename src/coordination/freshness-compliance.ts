// The compliance suite for FreshnessStore + PurgeBus implementations; a backend's test is one call:
//   runFreshnessCompliance('memory', async () => ({ replica: () => ({ store, bus }), ... }))
// Shared backends (kind 'shared', with `backend`) also get the cross-replica and outage cases.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FreshnessStore, PurgeBus } from './freshness-store.js';
import { waitFor } from './coordinator-compliance.js';
import { harness } from '../testing/harness.js';

export interface FreshnessReplica {
  readonly store: FreshnessStore;
  readonly bus: PurgeBus;
}

export interface FreshnessUnderTest {
  /** The store and bus of one replica; with a shared backend, replicas share state. */
  replica(): FreshnessReplica;
  /** Takes the shared backend down / back up (empty). */
  readonly backend?: { stop(): Promise<void>; start(): Promise<void> };
  cleanup(): Promise<void>;
}

export function runFreshnessCompliance(name: string, make: () => Promise<FreshnessUnderTest>, kind: 'local' | 'shared' = 'local'): void {
  const run = harness(make);
  const withHarness = (fn: (u: FreshnessUnderTest) => Promise<void>) => run((u) => u, fn);

  void describe(`freshness compliance: ${name}`, () => {
    void test('fetch times: unknown is undefined, set then read, forgotten after their TTL', withHarness(async (u) => {
      const { store } = u.replica();
      assert.equal(await store.fetchedAt('a.com/x/@v/list'), undefined);
      await store.setFetchedAt('a.com/x/@v/list', 1_700_000_000_123, 60_000);
      assert.equal(await store.fetchedAt('a.com/x/@v/list'), 1_700_000_000_123);
      await store.setFetchedAt('a.com/x/@latest', 5, 30);
      await waitFor('the fetch time to expire', async () => (await store.fetchedAt('a.com/x/@latest')) === undefined, 5_000);
    }));

    void test('negative answers: set, read (hint kept), delete, expire', withHarness(async (u) => {
      const { store } = u.replica();
      const key = 'a.com/x/@v/v1.0.0.info';
      assert.equal(await store.negative(key), undefined);
      await store.setNegative(key, { code: 'NOT_FOUND', message: 'a.com/x@v1.0.0: not found', hint: 'check the version' }, 60_000);
      assert.deepEqual(await store.negative(key), { code: 'NOT_FOUND', message: 'a.com/x@v1.0.0: not found', hint: 'check the version' });
      await store.deleteNegative(key);
      assert.equal(await store.negative(key), undefined);
      await store.setNegative('query:a.com/x@master', { code: 'GONE', message: 'gone' }, 30);
      assert.deepEqual(await store.negative('query:a.com/x@master'), { code: 'GONE', message: 'gone' });
      await waitFor('the negative answer to expire', async () => (await store.negative('query:a.com/x@master')) === undefined, 5_000);
    }));

    void test('forgetPrefix forgets exactly the keys under the prefix', withHarness(async (u) => {
      const { store } = u.replica();
      for (const k of ['a.com/x/@v/list', 'a.com/x/@latest', 'a.com/xy/@v/list']) {
        await store.setFetchedAt(k, 1, 60_000);
        await store.setNegative(k, { code: 'NOT_FOUND', message: k }, 60_000);
      }
      await store.forgetPrefix('a.com/x/');
      assert.equal(await store.fetchedAt('a.com/x/@v/list'), undefined);
      assert.equal(await store.negative('a.com/x/@latest'), undefined);
      assert.equal(await store.fetchedAt('a.com/xy/@v/list'), 1);
      assert.deepEqual(await store.negative('a.com/xy/@v/list'), { code: 'NOT_FOUND', message: 'a.com/xy/@v/list' });
    }));

    void test('purge bus: this replica hears its own purge once; unsubscribe stops delivery', withHarness(async (u) => {
      const { bus } = u.replica();
      const heard: string[] = [];
      const off = bus.subscribe((p) => heard.push(p));
      assert.equal(await bus.publish('a.com/x'), true);
      assert.deepEqual(heard, ['a.com/x']);
      off();
      await bus.publish('a.com/y');
      assert.deepEqual(heard, ['a.com/x']);
    }));

    if (kind === 'local') return;

    void test('replicas share fetch times, negative answers and purges', withHarness(async (u) => {
      const [a, b] = [u.replica(), u.replica()];
      await a.store.setFetchedAt('s.com/m/@v/list', 42, 60_000);
      await a.store.setNegative('s.com/m/@latest', { code: 'NOT_FOUND', message: 'no' }, 60_000);
      assert.equal(await b.store.fetchedAt('s.com/m/@v/list'), 42);
      assert.deepEqual(await b.store.negative('s.com/m/@latest'), { code: 'NOT_FOUND', message: 'no' });
      await b.store.forgetPrefix('s.com/m/');
      assert.equal(await a.store.negative('s.com/m/@latest'), undefined);
      const heardA: string[] = [];
      const heardB: string[] = [];
      a.bus.subscribe((p) => heardA.push(p));
      b.bus.subscribe((p) => heardB.push(p));
      // Subscriptions are live once probes published by the other replica arrive.
      await waitFor('the subscriptions to be live', async () => {
        await a.bus.publish('probe-a');
        await b.bus.publish('probe-b');
        return heardA.includes('probe-b') && heardB.includes('probe-a');
      });
      const purges = (heard: string[]) => heard.filter((p) => !p.startsWith('probe-'));
      assert.equal(await a.bus.publish('s.com/m'), true);
      await waitFor('the purge to reach the other replica', () => heardB.includes('s.com/m'));
      assert.deepEqual(purges(heardA), ['s.com/m']);
      assert.deepEqual(purges(heardB), ['s.com/m']);
    }));

    void test('backend down: state is kept per replica and nothing fails; back up: shared again', withHarness(async (u) => {
      assert.ok(u.backend, 'a shared harness declares its backend');
      const a = u.replica();
      const heard: string[] = [];
      a.bus.subscribe((p) => heard.push(p));
      await a.store.setFetchedAt('o.com/m/@v/list', 7, 60_000);
      await u.backend.stop();
      await a.store.setNegative('o.com/m/@latest', { code: 'NOT_FOUND', message: 'no' }, 60_000);
      assert.deepEqual(await a.store.negative('o.com/m/@latest'), { code: 'NOT_FOUND', message: 'no' });
      assert.equal(await a.store.fetchedAt('o.com/m/@v/list'), 7);
      await a.store.forgetPrefix('o.com/');
      assert.equal(await a.bus.publish('o.com/m'), false);
      assert.deepEqual(heard, ['o.com/m']);
      await u.backend.start();
      await waitFor('the bus to reach the backend again', () => a.bus.publish('o.com/n'), 15_000);
      const b = u.replica();
      // The store's own connection reconnects on its own schedule: writes are shared again once it has.
      await waitFor('the store to share writes again', async () => {
        await a.store.setFetchedAt('o.com/m/@v/list', 9, 60_000);
        return (await b.store.fetchedAt('o.com/m/@v/list')) === 9;
      }, 15_000);
      assert.equal(await b.store.fetchedAt('o.com/m/@v/list'), 9);
    }));
  });
}
