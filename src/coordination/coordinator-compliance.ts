// The one compliance suite every Coordinator passes; a coordinator's own test file is one call:
//   runCoordinatorCompliance('local', async () => ({ replica: () => createLocalCoordinator(), ... }))
// Distributed coordinators (kind 'distributed', harness with `lockService`) also get the
// cross-replica cases: exclusion
// across replicas, takeover from a dead holder after the lease, fencing, and the lock service
// going away mid-fill (fills still complete) and coming back (locks work again).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Coordinator, CoordinatorHealth, FillContext } from './coordinator.js';
import { harness } from '../testing/harness.js';

export interface ReplicaOptions {
  /** false: the replica never renews its lease (its fills lose the lock after one lease). */
  readonly renew?: boolean;
}

export type CoordinatorReplica = Coordinator & { health?(): CoordinatorHealth };

export interface CoordinatorUnderTest {
  /** A new coordinator; with a lockService, each one is a separate replica sharing that service. */
  replica(opts?: ReplicaOptions): CoordinatorReplica;
  /** Present for distributed coordinators. */
  readonly lockService?: {
    /** Lock lifetime without renewal. */
    readonly leaseMs: number;
    /** Makes a replica stop renewing and releasing, as if its process was SIGKILLed. */
    kill(replica: CoordinatorReplica): Promise<void>;
    /** Takes the lock service down / brings it back (empty). */
    stop(): Promise<void>;
    start(): Promise<void>;
  };
  cleanup(): Promise<void>;
}

/** Polls `cond` every 10 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/**
 * A fake "storage + upstream" following the fill contract: re-read, else fetch and store. Counts
 * fetches and the most fills ever running at once.
 */
function fakeCache() {
  const stored = new Map<string, string>();
  let running = 0;
  const seen = { fetches: 0, maxRunning: 0 };
  const fillFor = (key: string, release?: Promise<void>) => async (ctx?: FillContext) => {
    running++;
    seen.maxRunning = Math.max(seen.maxRunning, running);
    try {
      const again = stored.get(key);
      if (again !== undefined) return again;
      seen.fetches++;
      await (release ?? Promise.resolve());
      const value = `value of ${key} (fence ${ctx?.fence ?? 0})`;
      if (ctx && !(await ctx.stillOwner())) return stored.get(key) ?? value;
      stored.set(key, value);
      return value;
    } finally {
      running--;
    }
  };
  return { stored, seen, fillFor };
}

export function runCoordinatorCompliance(name: string, make: () => Promise<CoordinatorUnderTest>, kind: 'local' | 'distributed' = 'local'): void {
  const run = harness(make);
  const withHarness = (fn: (u: CoordinatorUnderTest) => Promise<void>) => run((u) => u, fn);

  void describe(`coordinator compliance: ${name}`, () => {
    void test('N concurrent callers in one process share one fill and its result', withHarness(async (u) => {
      const c = u.replica();
      const cache = fakeCache();
      const release = gate();
      const all = Array.from({ length: 20 }, () => c.run('k', cache.fillFor('k', release.promise)));
      await waitFor('the fill to start', () => cache.seen.fetches === 1);
      assert.equal(c.inFlight, 1);
      release.open();
      const results = await Promise.all(all);
      assert.equal(new Set(results).size, 1);
      assert.equal(cache.seen.fetches, 1);
      assert.equal(cache.seen.maxRunning, 1);
      assert.equal(c.inFlight, 0);
    }));

    void test('a failing fill rejects its callers and is not remembered', withHarness(async (u) => {
      const c = u.replica();
      let n = 0;
      const fill = async () => {
        n++;
        await Promise.resolve();
        throw new Error(`boom ${n}`);
      };
      const results = await Promise.allSettled([c.run('k', fill), c.run('k', fill)]);
      assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
      await assert.rejects(c.run('k', fill), /boom 2/);
    }));

    void test('a fill gets a context: fence, stillOwner() true while it runs, a live signal', withHarness(async (u) => {
      const c = u.replica();
      const ctx = await c.run('k', async (x) => ({ fence: x.fence, owner: await x.stillOwner(), aborted: x.signal.aborted }));
      assert.equal(ctx.owner, true);
      assert.equal(ctx.aborted, false);
      assert.ok(Number.isInteger(ctx.fence) && ctx.fence >= 0);
      const next = await c.run('k', async (x) => x.fence);
      if (u.lockService) assert.ok(next > ctx.fence, 'fences increase');
    }));

    void test('fills of different keys run at the same time', withHarness(async (u) => {
      const c = u.replica();
      const release = gate();
      let started = 0;
      const fill = async () => {
        started++;
        await release.promise;
        return started;
      };
      const both = Promise.all([c.run('a', fill), c.run('b', fill)]);
      await waitFor('both fills to start', () => started === 2);
      release.open();
      await both;
    }));

    if (kind === 'local') return;

    const lockService = (u: CoordinatorUnderTest) => {
      assert.ok(u.lockService, 'a distributed harness declares its lock service');
      return u.lockService;
    };

    void test('across replicas one fill per key runs at a time; the waiter then re-reads', withHarness(async (u) => {
      lockService(u);
      const [a, b] = [u.replica(), u.replica()];
      const cache = fakeCache();
      const release = gate();
      const first = a.run('k', cache.fillFor('k', release.promise));
      await waitFor('the first fill to start', () => cache.seen.fetches === 1);
      const second = b.run('k', cache.fillFor('k'));
      const third = b.run('k', cache.fillFor('k'));
      release.open();
      const [r1, r2, r3] = await Promise.all([first, second, third]);
      assert.equal(r2, r1);
      assert.equal(r3, r1);
      assert.equal(cache.seen.fetches, 1);
      assert.equal(cache.seen.maxRunning, 1);
    }));

    void test('a dead holder loses the key after the lease; a waiter takes over with a higher fence', withHarness(async (u) => {
      const svc = lockService(u);
      const [a, b] = [u.replica(), u.replica()];
      const never = gate();
      let aFence = -1;
      const stuck = a.run('k', async (ctx) => {
        aFence = ctx.fence;
        await never.promise;
        return 'a';
      });
      await waitFor('the holder to start', () => aFence >= 0);
      await svc.kill(a);
      const started = Date.now();
      const bFence = await b.run('k', async (ctx) => ctx.fence);
      assert.ok(bFence > aFence);
      assert.ok(Date.now() - started < svc.leaseMs * 4 + 2000, 'takeover soon after the lease ends');
      never.open();
      await stuck;
    }));

    void test('a holder whose lease ran out sees stillOwner() false after another takes over', withHarness(async (u) => {
      lockService(u);
      const a = u.replica({ renew: false });
      const b = u.replica();
      const proceed = gate();
      let aCtx: FillContext | undefined;
      const slow = a.run('k', async (ctx) => {
        aCtx = ctx;
        await proceed.promise;
        return ctx.stillOwner();
      });
      await waitFor('the holder to start', () => aCtx !== undefined);
      const bGot = gate();
      const bDone = b.run('k', async (ctx) => {
        bGot.open();
        await proceed.promise;
        return ctx.fence;
      });
      await bGot.promise;
      proceed.open();
      assert.equal(await slow, false);
      assert.ok((await bDone) > (aCtx?.fence ?? Infinity));
    }));

    void test('the lock service going down never fails a fill; when it is back, locks work again', withHarness(async (u) => {
      const svc = lockService(u);
      const [a, b] = [u.replica(), u.replica()];
      const release = gate();
      let running = false;
      const holding = a.run('k', async () => {
        running = true;
        await release.promise;
        return 'done';
      });
      await waitFor('the fill to start', () => running);
      await svc.stop();
      release.open();
      assert.equal(await holding, 'done');
      assert.equal(await b.run('other', async () => 'local'), 'local');
      assert.equal(b.health?.().status ?? 'degraded', 'degraded');
      await svc.start();
      await waitFor('both replicas to reconnect', () => a.health?.().status === 'ok' && b.health?.().status === 'ok', 15_000);
      const cache = fakeCache();
      const again = gate();
      const first = a.run('k2', cache.fillFor('k2', again.promise));
      await waitFor('the first fill to start', () => cache.seen.fetches === 1);
      const second = b.run('k2', cache.fillFor('k2'));
      again.open();
      assert.equal(await second, await first);
      assert.equal(cache.seen.maxRunning, 1);
    }));
  });
}
