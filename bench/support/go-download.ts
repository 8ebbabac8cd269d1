// The go command side of the build benchmarks: a copy of the fixture app with a complete go.sum,
// and one timed `go mod download all` into a fresh, empty module cache through a given GOPROXY.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Fixture } from '../../test/support/gohelper.js';
import { createGoEnv, goModDownloadJson } from '../../test/support/go-env.js';
import type { BenchScope } from './bench-scope.js';

/**
 * Copies the fixture app into a template dir and completes its go.sum (go build + go mod download
 * all straight from the fixture files), so timed runs measure module fetching, not go.sum updates.
 */
export async function prepareApp(scope: BenchScope, fixture: Fixture, gosumdb: string): Promise<string> {
  const dir = join(await scope.tempDir('modgate-bench-app-'), 'app');
  await cp(fixture.appDir, dir, { recursive: true });
  const env = await createGoEnv({ GOPROXY: `file://${fixture.proxyDir}`, GOSUMDB: gosumdb, sharedBuildCache: true });
  try {
    const build = await env.run(['build', '-o', join(env.root, 'app.bin'), '.'], { cwd: dir });
    if (build.code !== 0) throw new Error(`go build of the fixture app failed:\n${build.stderr}`);
    const dl = await goModDownloadJson(dir, env);
    if (dl.code !== 0) throw new Error(`go mod download all failed:\n${dl.stderr}`);
  } finally {
    await env.cleanup();
  }
  await writeFile(join(dir, '.prepared'), '');
  return dir;
}

export interface DownloadRun {
  ms: number;
  modules: number;
}

/** `go mod download all` for a copy of appTemplate into an empty module cache; throws on any error. */
export async function timedDownloadAll(appTemplate: string, goproxy: string, gosumdb: string): Promise<DownloadRun> {
  const env = await createGoEnv({ GOPROXY: goproxy, GOSUMDB: gosumdb, sharedBuildCache: true });
  const work = await mkdtemp(join(env.root, 'w-'));
  try {
    const app = join(work, 'app');
    await cp(appTemplate, app, { recursive: true });
    const t = performance.now();
    const dl = await goModDownloadJson(app, env);
    const ms = performance.now() - t;
    const bad = dl.modules.filter((m) => m.Error !== undefined);
    if (dl.code !== 0 || bad.length > 0) throw new Error(`go mod download all via ${goproxy} failed:\n${dl.stderr}\n${bad.map((m) => `${m.Path}@${m.Version}: ${m.Error}`).join('\n')}`);
    return { ms, modules: dl.modules.length };
  } finally {
    await rm(work, { recursive: true, force: true });
    await env.cleanup();
  }
}
