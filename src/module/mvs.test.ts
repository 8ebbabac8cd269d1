// Tests for minimal version selection and graph pruning on small synthetic requirement graphs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findReplacement, isPrunedGoVersion, loadModuleGraph, type ModSummary, type ModVersion } from './mvs.js';
import { parseGoMod } from './go-mod.js';

/** A graph as text: "a@v1.0.0 go1.17: b@v1.0.0 c@v1.1.0" per module version (go version optional). */
function graph(lines: readonly string[]): Map<string, ModSummary> {
  const g = new Map<string, ModSummary>();
  for (const line of lines) {
    const [head = '', deps = ''] = line.split(':');
    const [mv = '', go] = head.trim().split(/\s+/);
    const require = deps
      .trim()
      .split(/\s+/)
      .filter((d) => d !== '')
      .map((d) => {
        const [path = '', version = ''] = d.split('@');
        return { path, version };
      });
    g.set(mv, { require, pruned: isPrunedGoVersion(go?.replace(/^go/, '')) });
  }
  return g;
}

const fmt = (ms: readonly ModVersion[]): string[] => ms.map((m) => `${m.path}@${m.version}`);

async function walk(g: Map<string, ModSummary>, roots: string[], pruned: boolean): Promise<{ buildList: string[]; loaded: string[]; failed: string[] }> {
  const r = await loadModuleGraph({
    mainPath: 'main',
    pruned,
    roots: roots.map((s) => {
      const [path = '', version = ''] = s.split('@');
      return { path, version };
    }),
    load: async (m) => {
      const s = g.get(`${m.path}@${m.version}`);
      if (!s) throw new Error(`no go.mod for ${m.path}@${m.version}`);
      return s;
    },
  });
  return { buildList: fmt(r.buildList), loaded: fmt(r.loaded), failed: fmt(r.failed.map((f) => f.module)) };
}

test('isPrunedGoVersion: go 1.17 and later prune; missing or older do not', () => {
  const cases: Array<[string | undefined, boolean]> = [
    [undefined, false], ['', false], ['1.11', false], ['1.16', false], ['1.17', true], ['1.19', true], ['1.21.0', true], ['1.100', true], ['2.0', true], ['junk', false],
  ];
  for (const [go, want] of cases) assert.equal(isPrunedGoVersion(go), want, String(go));
});

// The classic MVS example (research.swtch.com/vgo-mvs): A1 needs B1.2 and C1.2; B1.2 → D1.3; C1.2 → D1.4; ...
const CLASSIC = [
  'b@v1.2.0: d@v1.3.0',
  'c@v1.2.0: d@v1.4.0',
  'd@v1.3.0: e@v1.2.0',
  'd@v1.4.0: e@v1.2.0',
  'e@v1.2.0:',
  'e@v1.3.0:',
];

test('unpruned main module: everything reachable is read; highest required version wins', async () => {
  const r = await walk(graph(CLASSIC), ['b@v1.2.0', 'c@v1.2.0'], false);
  assert.deepEqual(r.buildList, ['b@v1.2.0', 'c@v1.2.0', 'd@v1.4.0', 'e@v1.2.0']);
  assert.deepEqual(r.loaded, ['b@v1.2.0', 'c@v1.2.0', 'd@v1.3.0', 'd@v1.4.0', 'e@v1.2.0']);
  assert.deepEqual(r.failed, []);
});

const cases: Array<{ name: string; graph: string[]; roots: string[]; pruned: boolean; buildList: string[]; loaded: string[]; failed?: string[] }> = [
  {
    name: 'pruned main, pruned roots: only the roots\' go.mod files are read; their requirements still select',
    graph: ['a@v1.0.0 go1.17: x@v1.1.0', 'x@v1.1.0 go1.17: y@v9.0.0', 'b@v1.0.0 go1.18: x@v1.2.0'],
    roots: ['a@v1.0.0', 'b@v1.0.0'],
    pruned: true,
    buildList: ['a@v1.0.0', 'b@v1.0.0', 'x@v1.2.0'],
    loaded: ['a@v1.0.0', 'b@v1.0.0'],
  },
  {
    name: 'pruned main, unpruned root: its requirements are read transitively, even pruned ones',
    graph: ['a@v1.0.0 go1.16: x@v1.0.0', 'x@v1.0.0 go1.17: y@v1.0.0', 'y@v1.0.0 go1.17: z@v1.0.0', 'z@v1.0.0:'],
    roots: ['a@v1.0.0'],
    pruned: true,
    buildList: ['a@v1.0.0', 'x@v1.0.0', 'y@v1.0.0', 'z@v1.0.0'],
    loaded: ['a@v1.0.0', 'x@v1.0.0', 'y@v1.0.0', 'z@v1.0.0'],
  },
  {
    name: 'pruned main: a go.mod without a go directive counts as unpruned',
    graph: ['a@v1.0.0: x@v1.0.0', 'x@v1.0.0:'],
    roots: ['a@v1.0.0'],
    pruned: true,
    buildList: ['a@v1.0.0', 'x@v1.0.0'],
    loaded: ['a@v1.0.0', 'x@v1.0.0'],
  },
  {
    name: 'unpruned main: pruning of dependencies is ignored',
    graph: ['a@v1.0.0 go1.17: x@v1.0.0', 'x@v1.0.0 go1.17: y@v1.0.0', 'y@v1.0.0 go1.17:'],
    roots: ['a@v1.0.0'],
    pruned: false,
    buildList: ['a@v1.0.0', 'x@v1.0.0', 'y@v1.0.0'],
    loaded: ['a@v1.0.0', 'x@v1.0.0', 'y@v1.0.0'],
  },
  {
    name: 'cycles terminate, and a requirement on the main module never selects it',
    graph: ['a@v1.0.0: b@v1.0.0 main@v0.1.0', 'b@v1.0.0: a@v1.1.0', 'a@v1.1.0: b@v1.0.0', 'main@v0.1.0:'],
    roots: ['a@v1.0.0'],
    pruned: false,
    buildList: ['a@v1.1.0', 'b@v1.0.0'],
    loaded: ['a@v1.0.0', 'a@v1.1.0', 'b@v1.0.0', 'main@v0.1.0'],
  },
  {
    name: 'a failing go.mod is reported and its requirements are missing',
    graph: ['a@v1.0.0: b@v1.0.0'],
    roots: ['a@v1.0.0'],
    pruned: false,
    buildList: ['a@v1.0.0', 'b@v1.0.0'],
    loaded: ['a@v1.0.0', 'b@v1.0.0'],
    failed: ['b@v1.0.0'],
  },
  {
    name: 'prerelease and +incompatible versions order as Go semver',
    graph: ['a@v1.0.0: x@v2.0.0+incompatible', 'b@v1.0.0: x@v2.1.0-pre', 'x@v2.0.0+incompatible:', 'x@v2.1.0-pre:'],
    roots: ['a@v1.0.0', 'b@v1.0.0'],
    pruned: false,
    buildList: ['a@v1.0.0', 'b@v1.0.0', 'x@v2.1.0-pre'],
    loaded: ['a@v1.0.0', 'b@v1.0.0', 'x@v2.0.0+incompatible', 'x@v2.1.0-pre'],
  },
];

for (const c of cases) {
  test(`loadModuleGraph: ${c.name}`, async () => {
    const r = await walk(graph(c.graph), c.roots, c.pruned);
    assert.deepEqual(r.buildList, c.buildList);
    assert.deepEqual(r.loaded, c.loaded);
    assert.deepEqual(r.failed, c.failed ?? []);
  });
}

test('findReplacement: exact version first, then the all-versions replacement', () => {
  const f = parseGoMod('module m\nreplace a v1.0.0 => b v1.1.0\nreplace a => ../a\nreplace c => d v2.0.0\n', { strict: true });
  assert.deepEqual(findReplacement(f.replace, { path: 'a', version: 'v1.0.0' })?.new, { path: 'b', version: 'v1.1.0' });
  assert.deepEqual(findReplacement(f.replace, { path: 'a', version: 'v1.2.0' })?.new, { path: '../a', version: '' });
  assert.deepEqual(findReplacement(f.replace, { path: 'c', version: 'v0.1.0' })?.new, { path: 'd', version: 'v2.0.0' });
  assert.equal(findReplacement(f.replace, { path: 'e', version: 'v1.0.0' }), undefined);
});
