// Pseudo-version base selection and tag rules of CodeRepo over a real git repository: the base is
// the highest canonical, allowed, non-retracted tag that is an ancestor (with the subdirectory
// prefix), never a tag on another branch; invalid pseudo-versions are refused with Go's reasons.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCodeRepo } from './code-repo.js';
import { createGitRepo } from './git-repo.js';
import type { Mirror } from './git-mirror.js';
import { runGit } from './git-command.js';
import { createTestRepo } from '../../test/support/git-repos.js';

let root: string;
let mirror: Mirror;
const hashes: Record<string, string> = {};
const T0 = 1_700_000_000;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'modgate-coderepo-'));
  const r = await createTestRepo(root, 'p');
  await r.write({ 'go.mod': 'module example.com/p.git\n', 'sub/go.mod': 'module example.com/p.git/sub\n' });
  hashes.c1 = await r.commit('c1', T0);
  await r.tag('v1.0.0');
  await r.tag('sub/v0.3.0');
  hashes.c2 = await r.commit('c2', T0 + 10);
  await r.tag('v1.1.0-beta.1');
  await r.tag('v1.1'); // not canonical: ignored
  hashes.c3 = await r.commit('c3', T0 + 20);
  await r.checkout('side', { start: hashes.c1 });
  hashes.s1 = await r.commit('s1', T0 + 30);
  await r.tag('v1.5.0'); // higher, but not an ancestor of main
  await r.checkout('main');
  await r.write({ 'go.mod': 'module example.com/p.git\n\nretract v1.4.0\n' });
  hashes.c4 = await r.commit('c4', T0 + 40);
  await r.tag('v1.4.0'); // retracted by the highest release's go.mod? only v1.5.0's go.mod counts
  hashes.c5 = await r.commit('c5', T0 + 50);
  mirror = {
    url: 'https://example.com/p',
    dir: r.dir,
    git: (args, what, o = {}) => runGit({ cwd: r.dir, args, what, timeoutMs: 30_000, ...(o.maxStdout === undefined ? {} : { maxStdout: o.maxStdout }), ...(o.stdoutFile === undefined ? {} : { stdoutFile: o.stdoutFile }) }),
  };
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

const at = (h: string | undefined): string => (h ?? '').slice(0, 12);
const time = (offset: number): string => new Date((T0 + offset) * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);

test('pseudo-versions take the highest allowed ancestor tag as their base', async () => {
  const code = createCodeRepo(createGitRepo(mirror), 'example.com/p.git', 'example.com/p.git');
  const sub = createCodeRepo(createGitRepo(mirror), 'example.com/p.git', 'example.com/p.git/sub');
  const cases: { repo: typeof code; rev: string; want: string }[] = [
    { repo: code, rev: hashes.c1!, want: 'v1.0.0' },
    { repo: code, rev: hashes.c2!, want: 'v1.1.0-beta.1' },
    { repo: code, rev: hashes.c3!, want: `v1.1.0-beta.1.0.${time(20)}-${at(hashes.c3)}` },
    { repo: code, rev: hashes.s1!, want: 'v1.5.0' },
    { repo: code, rev: hashes.c5!, want: `v1.4.1-0.${time(50)}-${at(hashes.c5)}` },
    { repo: code, rev: 'main', want: `v1.4.1-0.${time(50)}-${at(hashes.c5)}` },
    { repo: sub, rev: hashes.c3!, want: `v0.3.1-0.${time(20)}-${at(hashes.c3)}` },
    { repo: sub, rev: 'v0.3.0', want: 'v0.3.0' },
  ];
  for (const c of cases) {
    assert.equal((await c.repo.stat(c.rev)).Version, c.want, `${c.repo.modPath}@${c.rev}`);
  }
  assert.deepEqual(await code.versions(), ['v1.0.0', 'v1.1.0-beta.1', 'v1.4.0', 'v1.5.0']);
  assert.deepEqual(await sub.versions(), ['v0.3.0']);
});

test('invalid pseudo-versions are refused with the go command reasons', async () => {
  const code = createCodeRepo(createGitRepo(mirror), 'example.com/p.git', 'example.com/p.git');
  const cases: { v: string; re: RegExp }[] = [
    { v: `v1.4.1-0.${time(50)}-${at(hashes.c5)}`, re: /^$/ },
    { v: `v1.4.1-0.${time(51)}-${at(hashes.c5)}`, re: /does not match version-control timestamp/ },
    { v: `v1.4.1-0.${time(50)}-${at(hashes.c5).slice(0, 10)}`, re: /revision is shorter than canonical/ },
    { v: `v1.5.1-0.${time(50)}-${at(hashes.c5)}`, re: /not a descendent of preceding tag \(v1\.5\.0\)/ },
    { v: `v1.9.1-0.${time(50)}-${at(hashes.c5)}`, re: /preceding tag \(v1\.9\.0\) not found/ },
    { v: `v1.0.1-0.${time(0)}-${at(hashes.c1)}`, re: /tag \(v1\.0\.0\) found on revision/ },
    { v: `v1.0.0-${time(50)}-${at(hashes.c5)}`, re: /major version without preceding tag must be v0/ },
  ];
  for (const c of cases) {
    const r = code.stat(c.v).then(
      (info) => (info.Version === c.v ? '' : `resolved to ${info.Version}`),
      (err: Error) => err.message,
    );
    assert.match(await r, c.re, c.v);
  }
});
