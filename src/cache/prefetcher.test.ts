// Prefetcher decisions in isolation: which files it fetches ahead, how deep, and what it skips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrefetcher, latestFromList, type PrefetchKind } from './prefetcher.js';
import { waitFor } from '../../test/support/wait-for.js';

test('latestFromList picks what the go command\'s latest query picks', () => {
  assert.equal(latestFromList(Buffer.from('v1.0.0\nv1.10.0\nv1.9.0\n')), 'v1.10.0');
  assert.equal(latestFromList('v1.0.0\nv1.1.0-rc.1\n'), 'v1.0.0', 'a release beats a newer pre-release');
  assert.equal(latestFromList('v1.1.0-rc.1\nv1.1.0-beta\n'), 'v1.1.0-rc.1', 'only pre-releases: the highest');
  assert.equal(latestFromList('v2.0.0+incompatible\nv1.5.0\n'), 'v1.5.0', '+incompatible only when nothing else');
  assert.equal(latestFromList('v2.0.0+incompatible\n'), 'v2.0.0+incompatible');
  assert.equal(latestFromList('\nnot-a-version\nv1\n'), undefined, 'invalid and non-canonical lines are ignored');
  assert.equal(latestFromList(''), undefined);
});

/** A prefetcher over fake go.mod files; records what it fetched. */
function fixture(goMods: Record<string, string>, opts: { zipDepth: number; depth?: number; modZips?: boolean }) {
  const fetched: string[] = [];
  const p = createPrefetcher({
    concurrency: 4,
    depth: opts.depth ?? 1,
    zipDepth: opts.zipDepth,
    modZips: opts.modZips ?? false,
    zipConcurrency: 2,
    fetch: async (kind: PrefetchKind, path, version) => {
      fetched.push(`${kind} ${path}@${version}`);
      return true;
    },
    goMod: async (path, version) => {
      const m = goMods[`${path}@${version}`];
      if (m === undefined) throw new Error(`no go.mod for ${path}@${version}`);
      return Buffer.from(m);
    },
  });
  const idle = () => waitFor('prefetches to finish', async () => p.pending === 0, 10_000, 5);
  return { p, fetched, idle };
}

const mods = {
  'example.com/a@v1.0.0': 'module example.com/a\n\ngo 1.17\n\nrequire (\n\texample.com/b v1.0.0\n\texample.com/c v1.2.0 // indirect\n)\n',
  'example.com/b@v1.0.0': 'module example.com/b\n\nrequire example.com/d v0.1.0\n',
  'example.com/d@v0.1.0': 'module example.com/d\n\nrequire example.com/e v0.1.0\n',
  'example.com/c@v1.2.0': 'module example.com/c\n',
};

test('after a client asked for a zip: zips of direct requirements, down to zipDepth levels, never // indirect ones', async () => {
  const { p, fetched, idle } = fixture(mods, { zipDepth: 2 });
  p.afterZipAsked('example.com/a', 'v1.0.0');
  await waitFor('two levels of zips', async () => fetched.length >= 2, 10_000, 5);
  await idle();
  assert.deepEqual(fetched.sort(), ['zip example.com/b@v1.0.0', 'zip example.com/d@v0.1.0']);
  p.afterZipAsked('example.com/a', 'v1.0.0');
  await idle();
  assert.equal(fetched.length, 2, 'nothing is scheduled twice');
});

test('zipDepth 0 prefetches no zips; a lower version than one already asked for is skipped', async () => {
  const none = fixture(mods, { zipDepth: 0 });
  none.p.afterZipAsked('example.com/a', 'v1.0.0');
  await none.idle();
  assert.deepEqual(none.fetched, []);

  const { p, fetched, idle } = fixture({ ...mods, 'example.com/x@v1.0.0': 'module example.com/x\n\nrequire example.com/b v0.9.0\n' }, { zipDepth: 1 });
  p.afterZipAsked('example.com/b', 'v1.0.0'); // the build selected b v1.0.0
  p.afterZipAsked('example.com/x', 'v1.0.0'); // x requires the older b v0.9.0
  await waitFor('d prefetched', async () => fetched.includes('zip example.com/d@v0.1.0'), 10_000, 5);
  await idle();
  assert.ok(!fetched.includes('zip example.com/b@v0.9.0'), `superseded version fetched: ${fetched.join(', ')}`);
});

test('after a list was fetched: .info, .mod and zip of the version the latest query picks', async () => {
  const { p, fetched, idle } = fixture(mods, { zipDepth: 1 });
  p.afterListFetched('example.com/a', Buffer.from('v0.9.0\nv1.0.0\nv1.1.0-rc.1\n'));
  await waitFor('the latest version and its requirement', async () => fetched.length >= 4, 10_000, 5);
  await idle();
  assert.deepEqual(fetched.sort(), ['info example.com/a@v1.0.0', 'mod example.com/a@v1.0.0', 'zip example.com/a@v1.0.0', 'zip example.com/b@v1.0.0']);
  p.afterListFetched('example.com/empty', Buffer.from(''));
  await idle();
  assert.equal(fetched.length, 4, 'an empty list prefetches nothing');
});

test('after a .mod was fetched: .mod and .info of its requirements (direct and indirect), depth bounded', async () => {
  const { p, fetched, idle } = fixture(mods, { zipDepth: 0, depth: 1 });
  p.afterModFetched(Buffer.from(mods['example.com/a@v1.0.0']), 1);
  await waitFor('requirements', async () => fetched.length >= 4, 10_000, 5);
  await idle();
  assert.deepEqual(fetched.sort(), ['info example.com/b@v1.0.0', 'info example.com/c@v1.2.0', 'mod example.com/b@v1.0.0', 'mod example.com/c@v1.2.0']);
});

test('a .mod a client asked for: with modZips its .info and zip, once; a lower version than one asked for is skipped; without modZips nothing', async () => {
  const on = fixture(mods, { zipDepth: 0, modZips: true });
  on.p.afterModAsked('example.com/b', 'v1.0.0');
  on.p.afterModAsked('example.com/b', 'v1.0.0');
  await waitFor('the zip', async () => on.fetched.length >= 2, 10_000, 5);
  await on.idle();
  assert.deepEqual(on.fetched.sort(), ['info example.com/b@v1.0.0', 'zip example.com/b@v1.0.0'], 'zipDepth 0: nothing below it');
  on.p.afterZipAsked('example.com/d', 'v0.2.0');
  on.p.afterModAsked('example.com/d', 'v0.1.0');
  await on.idle();
  assert.ok(!on.fetched.includes('zip example.com/d@v0.1.0'), 'the build list holds the higher version');

  const off = fixture(mods, { zipDepth: 2 });
  off.p.afterModAsked('example.com/b', 'v1.0.0');
  await off.idle();
  assert.deepEqual(off.fetched, []);
});

test('a requirement\'s zip is prefetched at the highest version any go.mod seen requires, not the lower one its importer lists', async () => {
  const seen = { ...mods, 'example.com/x@v1.0.0': 'module example.com/x\n\nrequire example.com/b v1.3.0\n' };
  const { p, fetched, idle } = fixture(seen, { zipDepth: 1 });
  p.afterModFetched(Buffer.from(seen['example.com/x@v1.0.0']), 0); // a zip fill's .mod: no walk, but its requirements are noted
  await idle();
  assert.deepEqual(fetched, [], 'depth 0: nothing fetched');
  p.afterZipAsked('example.com/a', 'v1.0.0'); // a lists b v1.0.0
  await waitFor('the requirement zip', async () => fetched.length >= 1, 10_000, 5);
  await idle();
  assert.deepEqual(fetched, ['zip example.com/b@v1.3.0']);
});

test('a queued zip prefetch is dropped when a client asks for a higher version first', async () => {
  const fetched: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const p = createPrefetcher({
    concurrency: 4,
    depth: 0,
    zipDepth: 1,
    zipConcurrency: 1,
    fetch: async (kind, path, version) => {
      fetched.push(`${kind} ${path}@${version}`);
      await gate; // the one zip slot stays busy until released
      return true;
    },
    goMod: async (path) => Buffer.from(path === 'example.com/top' ? 'module example.com/top\n\nrequire (\n\texample.com/slow v1.0.0\n\texample.com/b v1.0.0\n)\n' : `module ${path}\n`),
  });
  p.afterZipAsked('example.com/top', 'v1.0.0');
  await waitFor('the first zip started', async () => fetched.length === 1, 10_000, 5);
  p.afterZipAsked('example.com/b', 'v1.1.0'); // the client's build selected b v1.1.0 while b v1.0.0 waited
  release();
  await waitFor('prefetch idle', async () => p.pending === 0, 10_000, 5);
  assert.deepEqual(fetched, ['zip example.com/slow@v1.0.0']);
});

test('one guessed version per module path: a second importer listing a higher version starts no second zip of that path', async () => {
  const two = { ...mods, 'example.com/y@v1.0.0': 'module example.com/y\n\nrequire example.com/b v1.1.0\n' };
  const { p, fetched, idle } = fixture(two, { zipDepth: 1 });
  p.afterZipAsked('example.com/a', 'v1.0.0'); // lists b v1.0.0
  await waitFor('b prefetched', async () => fetched.length >= 1, 10_000, 5);
  await idle();
  p.afterZipAsked('example.com/y', 'v1.0.0'); // lists b v1.1.0
  await idle();
  assert.deepEqual(fetched, ['zip example.com/b@v1.0.0']);
  // Versions a client names are not guesses: its .mod of b v1.2.0 still starts that zip (modZips).
  const named = fixture(two, { zipDepth: 1, modZips: true });
  named.p.afterZipAsked('example.com/a', 'v1.0.0');
  await waitFor('b prefetched', async () => named.fetched.length >= 1, 10_000, 5);
  named.p.afterModAsked('example.com/b', 'v1.2.0');
  await named.idle();
  assert.ok(named.fetched.includes('zip example.com/b@v1.2.0'), named.fetched.join(', '));
});

test('with package reading: zips of the modules the reached packages import, not test-only or unreached ones; a newly needed package is followed later', async () => {
  const goMods: Record<string, string> = {
    'example.com/a@v1.0.0': 'module example.com/a\n\nrequire (\n\texample.com/b v1.0.0\n\texample.com/t v1.0.0\n\texample.com/o v1.0.0\n)\n',
    'example.com/b@v1.0.0': 'module example.com/b\n\nrequire (\n\texample.com/d v0.1.0\n\texample.com/e v0.1.0\n)\n',
    // x lists a module with no zip yet (so x is read); it imports only b's root package.
    'example.com/x@v1.0.0': 'module example.com/x\n\nrequire (\n\texample.com/b v1.0.0\n\texample.com/f v1.0.0\n)\n',
  };
  const pkgs: Record<string, Record<string, string[]>> = {
    'example.com/a@v1.0.0': {
      'example.com/a': ['fmt', 'example.com/a/internal'],
      'example.com/a/internal': ['example.com/b/sub'],
      'example.com/a/opt': ['example.com/o'], // not imported by the root: not built
    }, // example.com/t is imported by a's tests only: not listed here
    'example.com/b@v1.0.0': { 'example.com/b': ['example.com/e'], 'example.com/b/sub': ['example.com/d'] },
    'example.com/x@v1.0.0': { 'example.com/x': ['example.com/b'] },
  };
  const fetched: string[] = [];
  const p = createPrefetcher({
    concurrency: 4,
    depth: 0,
    zipDepth: 2,
    zipConcurrency: 2,
    fetch: async (kind, path, version) => {
      fetched.push(`${kind} ${path}@${version}`);
      return true;
    },
    goMod: async (path, version) => Buffer.from(goMods[`${path}@${version}`] ?? `module ${path}\n`),
    packages: async (path, version) => {
      const m = pkgs[`${path}@${version}`] ?? {};
      return { packages: new Set(Object.keys(m)), imports: async (pkg) => m[pkg] ?? [], close: () => undefined };
    },
  });
  const idle = () => waitFor('prefetches to finish', async () => p.pending === 0, 10_000, 5);
  p.afterZipAsked('example.com/a', 'v1.0.0');
  await waitFor('two levels', async () => fetched.length >= 2, 10_000, 5);
  await idle();
  assert.deepEqual(fetched.sort(), ['zip example.com/b@v1.0.0', 'zip example.com/d@v0.1.0'], 'b through a/internal, d through b/sub only');
  p.afterZipAsked('example.com/x', 'v1.0.0'); // x imports b's root package: b is followed again from it
  await waitFor('e', async () => fetched.includes('zip example.com/e@v0.1.0'), 10_000, 5);
  await idle();
  assert.equal(fetched.length, 3, fetched.join(', '));
});

test('a zip a client is still waiting for stops the prefetch of a lower version of it', async () => {
  const { p, fetched, idle } = fixture(mods, { zipDepth: 1 });
  p.zipAsked('example.com/b', 'v1.1.0'); // the client's b v1.1.0 fill is running
  p.afterZipAsked('example.com/a', 'v1.0.0'); // a lists b v1.0.0
  await idle();
  assert.deepEqual(fetched, []);
});

test('no guessed zip prefetch starts while a client waits for a zip; they start once it was answered', async () => {
  const { p, fetched, idle } = fixture(mods, { zipDepth: 1 });
  p.zipAsked('example.com/other', 'v1.0.0'); // a client's fill is running
  p.afterZipAsked('example.com/a', 'v1.0.0');
  await waitFor('the zip prefetch waiting', async () => p.waitingForClients === 1, 10_000, 5);
  assert.deepEqual(fetched, []);
  p.zipAnswered();
  await waitFor('b prefetched', async () => fetched.length === 1, 10_000, 5);
  await idle();
  assert.deepEqual(fetched, ['zip example.com/b@v1.0.0']);
  // A version a client named (its .mod) is not a guess: its zip starts while another client waits.
  const named = fixture(mods, { zipDepth: 0, modZips: true });
  named.p.zipAsked('example.com/other', 'v1.0.0');
  named.p.afterModAsked('example.com/d', 'v0.1.0');
  await waitFor('d prefetched', async () => named.fetched.includes('zip example.com/d@v0.1.0'), 10_000, 5);
});

test('a zip whose packages cannot be read is followed once, through its direct requirements', async () => {
  const fetched: string[] = [];
  let goModReads = 0;
  const p = createPrefetcher({
    concurrency: 4,
    depth: 0,
    zipDepth: 1,
    fetch: async (kind, path, version) => {
      fetched.push(`${kind} ${path}@${version}`);
      return true;
    },
    goMod: async (path, version) => {
      goModReads++;
      return Buffer.from(mods[`${path}@${version}` as keyof typeof mods] ?? `module ${path}\n`);
    },
    packages: async () => undefined, // e.g. the zip was served without being stored
  });
  const idle = () => waitFor('prefetches to finish', async () => p.pending === 0, 10_000, 5);
  p.afterZipAsked('example.com/a', 'v1.0.0');
  await waitFor('b', async () => fetched.length >= 1, 10_000, 5);
  await idle();
  p.afterZipAsked('example.com/a', 'v1.0.0');
  await idle();
  assert.deepEqual(fetched, ['zip example.com/b@v1.0.0'], 'direct requirements only (c is // indirect)');
  assert.equal(goModReads, 1, 'its go.mod read once');
});

test('a zip whose direct requirements all have zips asked for or scheduled is not read for its packages', async () => {
  let reads = 0;
  const p = createPrefetcher({
    concurrency: 4,
    depth: 0,
    zipDepth: 1,
    fetch: async () => true,
    goMod: async (path, version) => Buffer.from(mods[`${path}@${version}` as keyof typeof mods] ?? `module ${path}\n`),
    packages: async () => {
      reads++;
      return { packages: new Set(['example.com/a']), imports: async () => ['example.com/b'], close: () => undefined };
    },
  });
  p.zipAsked('example.com/b', 'v1.0.0'); // a's one direct requirement (c is // indirect)
  p.zipAnswered();
  p.afterZipAsked('example.com/a', 'v1.0.0');
  await waitFor('prefetch idle', async () => p.pending === 0, 10_000, 5);
  assert.equal(reads, 0);
  p.afterZipAsked('example.com/b', 'v1.0.0'); // b lists d, not asked for yet: read
  await waitFor('b read', async () => reads === 1 && p.pending === 0, 10_000, 5);
});
