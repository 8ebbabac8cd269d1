// Benchmark (a script, not a test): cold fetch of one large module from git through modgate's
// direct upstream vs `go mod download` with GOPROXY=direct, side by side, a few rounds.
// The repository is built here: a copy of a big Go source tree on this machine, many commits/tags.
// Usage: node --import tsx bench/direct-fetch.ts [rounds=3] [source=/usr/share/gocode/src/golang.org/x/text]
// Prints a markdown table row: | case | go direct median ms | modgate median ms | ratio |.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createGoEnv, goModDownloadJson, type GoEnv } from '../test/support/go-env.js';
import { createTestRepo, gitRewriteConfig, writeGoHomeGitConfig } from '../test/support/git-repos.js';
import { startDirectProxy } from '../test/support/direct-proxy.js';

const rounds = Number(process.argv[2] ?? 3);
const source = process.argv[3] ?? '/usr/share/gocode/src/golang.org/x/text';
const MODULE = 'example.com/big.git';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function timedDownload(env: GoEnv, query: string): Promise<number> {
  const cwd = join(env.root, 'work');
  await mkdir(cwd, { recursive: true });
  const t = performance.now();
  const r = await goModDownloadJson(cwd, env, [query]);
  const ms = performance.now() - t;
  const m = r.modules[0];
  if (!m || m.Error !== undefined || !m.Sum) throw new Error(`download of ${query} failed: ${m?.Error ?? r.stderr}`);
  return ms;
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'modgate-bench-direct-'));
  try {
    const repo = await createTestRepo(root, 'big');
    await cp(source, repo.dir, { recursive: true, filter: (src) => !src.endsWith('/.git') });
    await writeFile(join(repo.dir, 'go.mod'), `module ${MODULE}\n\ngo 1.19\n`);
    const t0 = 1_700_000_000;
    let commits = 0;
    await repo.commit('import tree', t0);
    for (let i = 1; i <= 30; i++) {
      await writeFile(join(repo.dir, `change-${i % 7}.go`), `package text // change ${i}\n`);
      await repo.commit(`change ${i}`, t0 + i * 60);
      commits++;
      if (i % 5 === 0) await repo.tag(`v1.${i / 5}.0`);
    }
    const query = `${MODULE}@v1.6.0`;
    const goMs: number[] = [];
    const modgateMs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const direct = await createGoEnv({ GOPROXY: 'direct', GOSUMDB: 'off', GONOSUMDB: 'example.com', GOFLAGS: '-modcacherw', sharedBuildCache: true });
      await writeGoHomeGitConfig(direct.home, root);
      goMs.push(await timedDownload(direct, query));
      await direct.cleanup();

      const dir = join(root, `modgate-${r}`);
      const proxy = await startDirectProxy(dir, { mirrorDir: join(dir, 'mirrors'), gitConfig: gitRewriteConfig(root) });
      const viaProxy = await createGoEnv({ GOPROXY: proxy.url, GOSUMDB: 'off', GONOSUMDB: 'example.com', GOFLAGS: '-modcacherw', sharedBuildCache: true });
      try {
        modgateMs.push(await timedDownload(viaProxy, query));
      } finally {
        await viaProxy.cleanup();
        await proxy.close();
        await rm(dir, { recursive: true, force: true });
      }
      process.stderr.write(`round ${r + 1}: go direct ${goMs.at(-1)!.toFixed(0)} ms, modgate direct ${modgateMs.at(-1)!.toFixed(0)} ms\n`);
    }
    const g = median(goMs);
    const m = median(modgateMs);
    console.log(`| direct cold fetch (${source.split('/').slice(-2).join('/')}, ${commits + 1} commits, ${rounds} rounds) | ${g.toFixed(0)} | ${m.toFixed(0)} | ${(m / g).toFixed(2)}x |`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
