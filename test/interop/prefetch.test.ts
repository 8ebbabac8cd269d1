// Prefetch: a client's .mod miss makes modgate fetch the .mod (and .info) of the module's
// requirements ahead of the client, through the same verified fill; the client's later requests
// for them are hits, counted as used prefetches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '../support/wait-for.js';
import { escapePath, escapeVersion } from '../../src/module/escape.js';
import { parseGoMod } from '../../src/module/go-mod.js';
import { useTestStack } from '../support/test-stack.js';

const stack = useTestStack({ name: 'prefetch', modgate: { args: ['--prefetch-depth', '1'] } });

const metric = async (outcome: string): Promise<number> => {
  const text = await (await fetch(`${stack.mg.url}/metrics`)).text();
  return Number(new RegExp(`^modgate_prefetch_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
};

test('requirements of a fetched .mod are fetched ahead of the client, and then served as hits', async () => {
  // viper requires many modules: a good fan-out.
  const viper = stack.fixture.manifest.modules.find((m) => m.path === 'github.com/spf13/viper')!;
  const modRel = `/${escapePath(viper.path)}/@v/${escapeVersion(viper.selected)}.mod`;
  const res = await fetch(stack.mg.url + modRel);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-modgate-cache'), 'miss');
  const requires = parseGoMod(await readFile(join(stack.fixture.proxyDir, modRel), 'utf8')).require;
  assert.ok(requires.length >= 5);
  const want = requires.map((r) => `/${escapePath(r.path)}/@v/${escapeVersion(r.version)}.mod`);
  await waitFor('prefetched requirements', async () => want.every((w) => stack.upstream.count(w) === 1));
  const wantInfo = requires.map((r) => `/${escapePath(r.path)}/@v/${escapeVersion(r.version)}.info`);
  await waitFor('prefetched .info files', async () => wantInfo.every((w) => stack.upstream.count(w) === 1));
  // With --prefetch-mod-zips (default): also viper's own .info and zip (the client asked for its .mod).
  const own = [`/${escapePath(viper.path)}/@v/${escapeVersion(viper.selected)}.info`, modRel.replace(/\.mod$/, '.zip')];
  await waitFor('the asked version\'s .info and zip', async () => own.every((w) => stack.upstream.count(w) === 1));
  const expected = new Set([...want, ...wantInfo, ...own]).size;
  await waitFor('prefetch outcomes counted', async () => (await metric('fetched')) >= expected);
  assert.equal(await metric('fetched'), expected);
  assert.equal(await metric('error'), 0);
  // Depth 1: the requirements' own requirements were not fetched.
  const second = parseGoMod(await readFile(join(stack.fixture.proxyDir, want[0]!), 'utf8')).require.map((r) => `/${escapePath(r.path)}/@v/${escapeVersion(r.version)}.mod`);
  for (const w of second.filter((x) => !want.includes(x) && x !== modRel)) assert.equal(stack.upstream.count(w), 0, `${w} was prefetched beyond the depth`);

  for (const w of want.slice(0, 3)) {
    const r = await fetch(stack.mg.url + w);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-modgate-cache'), 'hit');
  }
  assert.equal(await metric('used'), 3);
  for (const w of want) assert.equal(stack.upstream.count(w), 1, `${w} fetched twice`);
});
