// Direct mode against the real go command: for every module@query in repositories built on the fly,
// `go mod download -json` with GOPROXY=direct (the go command reading git itself) and through
// modgate's direct upstream must agree on Version, Time and the go.sum hashes (Sum, GoModSum).
// Both reach the repositories as https://example.com/<name> rewritten to file:// by git
// url.insteadOf (the go command: $HOME/.gitconfig; modgate: its gitConfig option).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGoEnv, goModDownloadJson, type GoEnv, type GoModDownload } from '../support/go-env.js';
import { buildDirectFixture, type DirectFixture } from '../support/direct-fixture.js';
import { gitRewriteConfig, writeGoHomeGitConfig } from '../support/git-repos.js';
import { startDirectProxy, type DirectProxy } from '../support/direct-proxy.js';

let root: string;
let fixture: DirectFixture;
let proxy: DirectProxy;
const envs: GoEnv[] = [];

async function goEnv(goproxy: string): Promise<GoEnv> {
  const env = await createGoEnv({ GOPROXY: goproxy, GOSUMDB: 'off', GONOSUMDB: 'example.com', GOFLAGS: '-modcacherw', sharedBuildCache: true });
  await writeGoHomeGitConfig(env.home, root);
  envs.push(env);
  return env;
}

interface Answer {
  readonly Version: string;
  readonly Time: string | undefined;
  readonly Sum: string | undefined;
  readonly GoModSum: string | undefined;
  readonly Error: string | undefined;
}

/** One `go mod download -json` per query (so each answer is tied to its query), Time from .info. */
async function download(env: GoEnv, queries: readonly string[]): Promise<Map<string, Answer>> {
  const cwd = join(env.root, 'work');
  await mkdir(cwd, { recursive: true });
  const out = new Map<string, Answer>();
  for (const q of queries) {
    const r = await goModDownloadJson(cwd, env, [q]);
    const m: GoModDownload | undefined = r.modules[0];
    if (!m) {
      out.set(q, { Version: '', Time: undefined, Sum: undefined, GoModSum: undefined, Error: r.stderr.trim() || 'no output' });
      continue;
    }
    const info = m.Info ? (JSON.parse(await readFile(m.Info, 'utf8')) as { Time?: string }) : {};
    out.set(q, { Version: m.Version, Time: info.Time, Sum: m.Sum, GoModSum: m.GoModSum, Error: m.Error });
  }
  return out;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'modgate-direct-go-'));
  fixture = await buildDirectFixture(root);
  proxy = await startDirectProxy(join(root, 'proxy'), {
    mirrorDir: join(root, 'mirrors'),
    gitConfig: gitRewriteConfig(root),
    refreshIntervalMs: 0,
  });
});

after(async () => {
  await proxy?.close();
  for (const e of envs) await e.cleanup();
  await rm(root, { recursive: true, force: true });
});

test('go mod download through modgate direct equals GOPROXY=direct for every query', async () => {
  const direct = await download(await goEnv('direct'), fixture.queries);
  const viaModgate = await download(await goEnv(proxy.url), fixture.queries);
  const problems: string[] = [];
  for (const q of fixture.queries) {
    const want = direct.get(q);
    const got = viaModgate.get(q);
    assert.ok(want && got, q);
    assert.equal(want.Error, undefined, `go (direct) failed for ${q}: ${want.Error}`);
    try {
      assert.deepEqual(got, want, q);
    } catch {
      problems.push(`${q}:\n  direct:  ${JSON.stringify(want)}\n  modgate: ${JSON.stringify(got)}`);
    }
  }
  assert.deepEqual(problems, []);
});
