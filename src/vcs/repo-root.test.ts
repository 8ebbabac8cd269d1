// Module path → repository resolution: go-import meta parsing (mod entries, head only, prefix
// agreement, file: refused), static hosts and VCS-suffix paths, with stubbed HTTP and git pings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMetaGoImports } from './go-import-meta.js';
import { resolveRepoRoot, type GoGetPage, type RepoRootResolverOptions } from './repo-root.js';

const meta = (content: string): string => `<meta name="go-import" content="${content}">`;

test('parseMetaGoImports reads the head, puts mod entries first and hides VCS entries they supersede', () => {
  const cases: { html: string; want: string[] }[] = [
    { html: `<html><head>${meta('example.org/a git https://git.example.org/a')}</head></html>`, want: ['example.org/a git https://git.example.org/a'] },
    { html: `<head>${meta('x.org/a git https://g/a')}${meta('x.org/a mod https://proxy')}</head>`, want: ['x.org/a mod https://proxy'] },
    { html: `<head>${meta('x.org/a git https://g/a')}${meta('x.org/b mod https://p')}</head>`, want: ['x.org/b mod https://p', 'x.org/a git https://g/a'] },
    { html: `<head></head><body>${meta('x.org/a git https://g/a')}</body>`, want: [] },
    { html: `<head><!-- ${meta('x.org/c git https://g/c')} -->${meta('x.org/a git https://g/a')}`, want: ['x.org/a git https://g/a'] },
    { html: `<HEAD><META NAME='go-import' CONTENT='x.org/a   git   https://g/a'/>`, want: ['x.org/a git https://g/a'] },
    { html: `<head>${meta('only two')}${meta('a b c d')}</head>`, want: [] },
    { html: `<head><meta name="go-source" content="x.org/a _ _ _">`, want: [] },
  ];
  for (const c of cases) {
    assert.deepEqual(parseMetaGoImports(c.html).map((m) => `${m.prefix} ${m.vcs} ${m.repoRoot}`), c.want, c.html);
  }
});

function resolver(pages: Record<string, string>, pingOk: readonly string[] = [], insecure = ''): RepoRootResolverOptions & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    insecure,
    async fetchPage(url): Promise<GoGetPage> {
      asked.push(url);
      const body = pages[url];
      if (body === undefined) return { status: 404, body: 'not found', url };
      return { status: 200, body, url };
    },
    async ping(url) {
      asked.push(`ping ${url}`);
      return pingOk.includes(url);
    },
  };
}

test('resolveRepoRoot: static hosts, VCS suffixes and go-get discovery', async () => {
  const pages = {
    'https://corp.example/lib/sub?go-get=1': `<head>${meta('corp.example/lib git https://git.corp.example/lib.git')}</head>`,
    'https://corp.example/lib?go-get=1': `<head>${meta('corp.example/lib git https://git.corp.example/lib.git')}</head>`,
    'https://liar.example/x/y?go-get=1': `<head>${meta('liar.example/x git https://g/x')}</head>`,
    'https://liar.example/x?go-get=1': `<head>${meta('liar.example/x git https://g/other')}</head>`,
    'https://local.example/m?go-get=1': `<head>${meta('local.example/m git file:///srv/m')}</head>`,
    'https://hg.example/m?go-get=1': `<head>${meta('hg.example/m hg https://hg.example/m')}</head>`,
    'https://both.example/m?go-get=1': `<head>${meta('both.example/m git https://g/a')}${meta('both.example git https://g/b')}</head>`,
  };
  const cases: { path: string; want?: string; err?: RegExp; insecure?: string; ping?: string[] }[] = [
    { path: 'github.com/owner/repo/pkg/v2', want: 'github.com/owner/repo git https://github.com/owner/repo' },
    { path: 'github.com/owner', err: /invalid github\.com import path/ },
    { path: 'github.com/owner/repo.git', err: /invalid version control suffix/ },
    { path: 'bitbucket.org/team/proj', want: 'bitbucket.org/team/proj git https://bitbucket.org/team/proj' },
    { path: 'git.example.com/team/repo.git/sub/v2', want: 'git.example.com/team/repo.git git https://git.example.com/team/repo', ping: ['https://git.example.com/team/repo'] },
    { path: 'git.example.com/repo.git', want: 'git.example.com/repo.git git http://git.example.com/repo', insecure: 'git.example.com', ping: ['http://git.example.com/repo'] },
    { path: 'corp.example/lib/sub', want: 'corp.example/lib git https://git.corp.example/lib.git' },
    { path: 'liar.example/x/y', err: /disagree about go-import for liar\.example\/x/ },
    { path: 'local.example/m', err: /file scheme disallowed/ },
    { path: 'hg.example/m', err: /"hg" is not supported/ },
    { path: 'both.example/m', err: /multiple meta tags match/ },
    { path: 'missing.example/m', err: /unrecognized import path "missing\.example\/m".*404/ },
    { path: 'example.net/x', err: /no modules on example\.net/ },
  ];
  for (const c of cases) {
    const opts = resolver(pages, c.ping ?? [], c.insecure ?? '');
    if (c.err) {
      await assert.rejects(resolveRepoRoot(c.path, opts), c.err, c.path);
      continue;
    }
    const rr = await resolveRepoRoot(c.path, opts);
    assert.equal(`${rr.root} ${rr.vcs} ${rr.repo}`, c.want, c.path);
    if (c.path.startsWith('github.com')) assert.deepEqual(opts.asked, [], 'static hosts need no network');
  }
});
