// The go command side of the cold-build benchmark: two projects built into a fresh, empty module
// cache through a given GOPROXY/GOSUMDB. "ci": the fixture app with a complete go.mod and go.sum,
// `go build` (-mod=readonly, as a CI checkout builds). "fresh": the same main.go with a go.mod that
// lists nothing and no go.sum, `go mod tidy` (go resolves every import) then `go build`.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createGoEnv } from '../../test/support/go-env.js';

export type BuildScenario = 'ci' | 'fresh';

/** A copy of a prepared app (complete go.mod/go.sum, see prepareApp) made into the given scenario. */
export async function scenarioTemplate(preparedApp: string, scenario: BuildScenario, parent: string): Promise<string> {
  const dir = join(parent, `app-${scenario}`);
  await cp(preparedApp, dir, { recursive: true });
  if (scenario === 'fresh') {
    await writeFile(join(dir, 'go.mod'), 'module example.com/fixtureapp\n\ngo 1.17\n');
    await rm(join(dir, 'go.sum'), { force: true });
  }
  return dir;
}

export interface BuildRun {
  ms: number;
}

/** Runs the scenario's go commands for a copy of template into an empty module cache; throws on failure. */
export async function timedBuild(template: string, scenario: BuildScenario, settings: { goproxy: string; gosumdb: string; extraEnv?: Record<string, string> }): Promise<BuildRun> {
  const env = await createGoEnv({ GOPROXY: settings.goproxy, GOSUMDB: settings.gosumdb, GOFLAGS: '-modcacherw -trimpath', sharedBuildCache: true, ...(settings.extraEnv ? { extra: settings.extraEnv } : {}) });
  const work = await mkdtemp(join(env.root, 'w-'));
  try {
    const app = join(work, 'app');
    await cp(template, app, { recursive: true });
    const steps: string[][] = scenario === 'fresh' ? [['mod', 'tidy', '-e'], ['build', '-o', join(work, 'app.bin'), '.']] : [['build', '-o', join(work, 'app.bin'), '.']];
    const t = performance.now();
    for (const args of steps) {
      const r = await env.run(args, { cwd: app });
      if (r.code !== 0) throw new Error(`go ${args.join(' ')} via ${settings.goproxy} failed:\n${r.stderr}`);
    }
    return { ms: performance.now() - t };
  } finally {
    await rm(work, { recursive: true, force: true });
    await env.cleanup();
  }
}
