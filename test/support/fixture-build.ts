// Builds the fixture app with the real go command through a GOPROXY (fresh module cache), then runs
// `go mod download -json all`; fails the test with the go command's output if either fails.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { copyFixtureApp, type Fixture } from './gohelper.js';
import { createGoEnv, goModDownloadJson, type GoModDownload } from './go-env.js';

export interface FixtureBuildOptions {
  readonly fixture: Fixture;
  readonly goproxy: string;
  readonly gosumdb: string;
  /** Parent directory for the app copy and binary. */
  readonly work: string;
  /** A name unique in `work`. */
  readonly name: string;
}

export async function buildAndDownloadAll(opts: FixtureBuildOptions): Promise<{ modules: GoModDownload[]; goSum: string }> {
  const env = await createGoEnv({ GOPROXY: opts.goproxy, GOSUMDB: opts.gosumdb, sharedBuildCache: true });
  try {
    const app = await copyFixtureApp(opts.fixture, join(opts.work, opts.name));
    const build = await env.run(['build', '-o', join(opts.work, `${opts.name}.bin`), '.'], { cwd: app });
    assert.equal(build.code, 0, `go build through ${opts.goproxy} failed:\n${build.stderr}`);
    const dl = await goModDownloadJson(app, env);
    assert.equal(dl.code, 0, `go mod download all failed:\n${dl.stderr}\n${dl.modules.filter((m) => m.Error).map((m) => `${m.Path}@${m.Version}: ${m.Error}`).join('\n')}`);
    return { modules: dl.modules, goSum: await readFile(join(app, 'go.sum'), 'utf8') };
  } finally {
    await env.cleanup();
  }
}
