// The repositories of the direct-mode interop tests and the module queries asked of them. Every
// layout the go command treats specially appears: prefixed subdirectory tags, /v2 in a subdirectory
// and on a major branch, +incompatible, pseudo-versions of all three forms, nested modules, vendor/,
// symlinks, export-ignore/export-subst, CRLF, a LICENSE only at the root, non-ASCII names.
import { createTestRepo, type TestRepo } from './git-repos.js';

export interface DirectFixture {
  readonly repos: Record<string, TestRepo>;
  /** `module@query` arguments for `go mod download -json`. */
  readonly queries: string[];
}

const T0 = 1_700_000_000; // 2023-11-14T22:13:20Z

export async function buildDirectFixture(root: string): Promise<DirectFixture> {
  const multi = await createTestRepo(root, 'multi');
  await multi.write({
    'go.mod': 'module example.com/multi.git\n\ngo 1.19\n',
    LICENSE: 'Root license\n',
    'a.go': 'package multi\n',
    'crlf.txt': 'line one\r\nline two\r\n',
    '.gitattributes': 'ignored.txt export-ignore\nsubst.txt export-subst\n*.txt text\n',
    'ignored.txt': 'kept despite export-ignore\n',
    'subst.txt': 'commit $Format:%H$\n',
    'link.go': { symlink: 'a.go' },
    'vendor/modules.txt': '# vendored\n',
    'vendor/example.org/x/x.go': 'package x\n',
    'données/é.txt': 'non-ASCII path\n',
    '.hg_archival.txt': 'repo: x\n',
    'nested/go.mod': 'module example.com/multi.git/nested\n',
    'nested/n.go': 'package nested\n',
    'sub/go.mod': 'module example.com/multi.git/sub\n\ngo 1.19\n',
    'sub/s.go': 'package sub\n',
    'sub/v2/go.mod': 'module example.com/multi.git/sub/v2\n\ngo 1.19\n',
    'sub/v2/s.go': 'package sub // v2\n',
  });
  await multi.commit('initial', T0);
  await multi.tag('v1.0.0');
  await multi.tag('sub/v1.0.0');
  await multi.tag('sub/v2.0.0');
  await multi.tag('nested/v0.1.0', { annotated: true });
  await multi.write({ 'b.go': 'package multi // b\n', 'sub/t.go': 'package sub // t\n' });
  const c2 = await multi.commit('second', T0 + 3600);
  await multi.tag('v1.1.0', { annotated: true });
  await multi.tag('sub/v1.1.0');
  await multi.write({ 'c.go': 'package multi // c\n' });
  const c3 = await multi.commit('untagged after v1.1.0', T0 + 7200);
  await multi.checkout('dev');
  await multi.write({ 'dev.go': 'package multi // dev\n' });
  await multi.commit('dev work', T0 + 9000);
  await multi.tag('v1.2.0-pre');
  await multi.write({ 'dev2.go': 'package multi // dev2\n' });
  await multi.commit('after prerelease', T0 + 9600);
  await multi.checkout('main');

  const major = await createTestRepo(root, 'major');
  await major.write({ 'go.mod': 'module example.com/major.git\n', 'm.go': 'package major\n' });
  await major.commit('v1', T0);
  await major.tag('v1.0.0');
  await major.checkout('v2');
  await major.write({ 'go.mod': 'module example.com/major.git/v2\n', 'm.go': 'package major // v2\n' });
  await major.commit('v2', T0 + 100);
  await major.tag('v2.0.0');
  await major.write({ 'n.go': 'package major\n' });
  await major.commit('v2.1', T0 + 200);
  await major.tag('v2.1.0');
  await major.write({ 'o.go': 'package major // untagged\n' });
  await major.commit('v2 untagged', T0 + 300);
  await major.checkout('main');

  const legacy = await createTestRepo(root, 'legacy');
  await legacy.write({ 'l.go': 'package legacy\n', 'README.md': 'no go.mod here\n' });
  await legacy.commit('v1', T0);
  await legacy.tag('v1.0.0');
  await legacy.write({ 'l.go': 'package legacy // 2\n' });
  await legacy.commit('v2', T0 + 100);
  await legacy.tag('v2.0.0');
  await legacy.write({ 'l.go': 'package legacy // 3\n' });
  await legacy.commit('v3', T0 + 200);
  await legacy.tag('v3.1.0');
  await legacy.write({ 'x.go': 'package legacy // untagged\n' });
  await legacy.commit('after v3', T0 + 300);

  const fresh = await createTestRepo(root, 'fresh');
  await fresh.write({ 'go.mod': 'module example.com/fresh.git\n', 'f.go': 'package fresh\n' });
  const f1 = await fresh.commit('first', T0 + 50);
  await fresh.write({ 'g.go': 'package fresh\n' });
  await fresh.commit('second', T0 + 60);

  const queries = [
    'example.com/multi.git@v1.0.0',
    'example.com/multi.git@v1.1.0',
    'example.com/multi.git@latest',
    'example.com/multi.git@main',
    'example.com/multi.git@dev',
    'example.com/multi.git@v1.2.0-pre',
    `example.com/multi.git@${c3.slice(0, 7)}`,
    `example.com/multi.git@${c2}`,
    'example.com/multi.git@v1.1',
    'example.com/multi.git/sub@v1.0.0',
    'example.com/multi.git/sub@latest',
    'example.com/multi.git/sub@main',
    'example.com/multi.git/sub/v2@v2.0.0',
    'example.com/multi.git/nested@v0.1.0',
    'example.com/major.git@v1.0.0',
    'example.com/major.git/v2@v2.0.0',
    'example.com/major.git/v2@latest',
    'example.com/major.git/v2@v2',
    'example.com/legacy.git@v1.0.0',
    'example.com/legacy.git@v2.0.0+incompatible',
    'example.com/legacy.git@latest',
    'example.com/legacy.git@main',
    'example.com/fresh.git@main',
    'example.com/fresh.git@latest',
    `example.com/fresh.git@${f1.slice(0, 12)}`,
  ];
  return { repos: { multi, major, legacy, fresh }, queries };
}
