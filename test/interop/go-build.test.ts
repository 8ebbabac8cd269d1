// The go command is the judge: a program importing a realistic module graph (Debian's Go module
// sources packed by Go's own x/mod) builds through modgate from a cold cache and again warm, and
// `go mod download -json all` through modgate equals a run against the upstream directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { GoModDownload } from '../support/go-env.js';
import { buildAndDownloadAll, directReference } from '../support/fixture-build.js';
import { useTestStack } from '../support/test-stack.js';

const stack = useTestStack({ name: 'interop', modgate: {} });

/** go build + go mod download -json all in a fresh module cache through GOPROXY. */
const buildThrough = (goproxy: string, name: string, gosumdb = stack.sumdb.gosumdb) => buildAndDownloadAll({ fixture: stack.fixture, goproxy, gosumdb, work: stack.work, name });

const summary = (mods: GoModDownload[]) => mods.map((m) => `${m.Path}@${m.Version} ${m.Sum ?? '-'} ${m.GoModSum ?? '-'}`).sort();

test('the go command builds the fixture app through modgate, cold then warm, identical to going direct', async () => {
  assert.ok(stack.fixture.manifest.modules.length >= 50, `fixture has ${stack.fixture.manifest.modules.length} modules`);
  // The go command against the fixture's upstream directly (shared with other files: see directReference).
  const direct = await directReference({ fixture: stack.fixture, gosumdb: stack.sumdb.gosumdb, work: stack.work });
  stack.upstream.clearRequests();

  // Through modgate the go command gets only the database's key: it finds modgate's /sumdb/ proxy.
  const cold = await buildThrough(stack.mg.url, 'cold', stack.sumdb.vkey);
  assert.deepEqual(summary(cold.modules), summary(direct.modules));
  assert.equal(cold.goSum, direct.goSum);
  assert.ok(cold.modules.length >= 40, `download all listed ${cold.modules.length} modules`);
  const coldUpstream = stack.upstream.requests.length;
  assert.ok(coldUpstream > 0);
  // Each immutable file was fetched from the upstream at most once.
  const immutable = stack.upstream.requests.filter((p) => /\.(info|mod|zip)$/.test(p));
  assert.equal(new Set(immutable).size, immutable.length, 'an immutable file was fetched twice');

  stack.upstream.clearRequests();
  const warm = await buildThrough(stack.mg.url, 'warm', stack.sumdb.vkey);
  assert.deepEqual(summary(warm.modules), summary(direct.modules));
  assert.equal(warm.goSum, direct.goSum);
  assert.deepEqual(stack.upstream.requests.filter((p) => /\.(info|mod|zip)$/.test(p)), [], 'warm build fetched immutable files again');

  // The request-flow log says what happened.
  const zipLines = stack.mg.logs.filter((l) => l.kind === 'zip');
  assert.ok(zipLines.some((l) => l.cache === 'miss' && l.source === stack.upstream.url));
  assert.ok(zipLines.some((l) => l.cache === 'hit' && l.source === 'cache'));
  for (const l of zipLines) {
    assert.equal(typeof l.latency_ms, 'number');
    assert.equal(typeof l.module, 'string');
    assert.equal(l.status, 200);
  }

  // The go command verified through modgate's checksum DB proxy.
  const sumdbLines = stack.mg.logs.filter((l) => l.kind === 'sumdb');
  assert.ok(sumdbLines.some((l) => String(l.path).includes(`/sumdb/${stack.sumdb.name}/supported`) && l.status === 200));
  assert.ok(sumdbLines.some((l) => String(l.path).includes(`/sumdb/${stack.sumdb.name}/lookup/`) && l.status === 200));
  assert.ok(sumdbLines.some((l) => String(l.path).includes(`/sumdb/${stack.sumdb.name}/tile/`) && l.status === 200));

  // The cache directory is itself a usable GOPROXY=file:// for everything the build needed.
  const offline = await buildThrough(`file://${join(stack.work, 'cache')}`, 'offline');
  assert.deepEqual(summary(offline.modules), summary(direct.modules));
});
