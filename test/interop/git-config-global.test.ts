// Direct mode honours the user's own git configuration: a private repository reachable only
// through a `url.<base>.insteadOf` rewrite in the file named by GIT_CONFIG_GLOBAL (the standard
// recipe for private modules) builds through modgate exactly as it does with GOPROXY=direct.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createGoEnv, type GoEnv } from '../support/go-env.js';
import { createTestRepo } from '../support/git-repos.js';
import { startModgate, type ModgateProcess } from '../support/modgate-process.js';
import { runProcess } from '../support/process-runner.js';

const PRIVATE = 'example.com/corp/lib.git';
let root: string;
let gitConfigFile: string;
let mg: ModgateProcess | undefined;
const envs: GoEnv[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'modgate-gitconfig-'));
  const repo = await createTestRepo(root, 'lib');
  await repo.write({ 'go.mod': `module ${PRIVATE}\n\ngo 1.17\n`, 'lib.go': 'package lib\n\nconst Answer = 42\n' });
  await repo.commit('first', 1_700_000_000);
  await repo.tag('v1.0.0');
  // Only this file knows where https://example.com/corp/ really is.
  gitConfigFile = join(root, 'user-gitconfig');
  const lines = [`[url "${pathToFileURL(join(root, 'repos')).href}/"]`, '\tinsteadOf = https://example.com/corp/', '[protocol "file"]', '\tallow = always', ''];
  await writeFile(gitConfigFile, lines.join('\n'));
});

after(async () => {
  await mg?.kill();
  for (const e of envs) await e.cleanup();
  await rm(root, { recursive: true, force: true });
});

async function buildApp(name: string, goproxy: string): Promise<{ code: number; stderr: string; stdout: string }> {
  // The go command reads the same user config (it runs git itself for GOPROXY=direct).
  const env = await createGoEnv({ GOPROXY: goproxy, GOSUMDB: 'off', GOFLAGS: '-mod=mod -modcacherw', extra: { GIT_CONFIG_GLOBAL: gitConfigFile } });
  envs.push(env);
  const app = join(root, name);
  await mkdir(app, { recursive: true });
  await writeFile(join(app, 'go.mod'), `module example.com/app\n\ngo 1.17\n\nrequire ${PRIVATE} v1.0.0\n`);
  await writeFile(join(app, 'main.go'), `package main\n\nimport (\n\t"fmt"\n\n\tlib "${PRIVATE}"\n)\n\nfunc main() { fmt.Println(lib.Answer) }\n`);
  const built = await env.run(['build', '-o', join(app, 'app.bin'), '.'], { cwd: app });
  if (built.code !== 0) return built;
  const ran = await runProcess(join(app, 'app.bin'), [], { timeoutMs: 30_000 });
  return { code: ran.code, stdout: ran.stdout, stderr: ran.stderr };
}

test('direct mode uses the insteadOf rewrite from GIT_CONFIG_GLOBAL, as the go command does', async () => {
  const direct = await buildApp('direct', 'direct');
  assert.equal(direct.code, 0, `GOPROXY=direct: ${direct.stderr}`);
  assert.equal(direct.stdout.trim(), '42');

  const home = join(root, 'modgate-home');
  await mkdir(home, { recursive: true });
  mg = await startModgate({
    args: ['--cache-dir', join(root, 'cache'), '--upstream', 'direct', '--sumdb', 'off', '--git-refresh-seconds', '0'],
    env: { HOME: home, GIT_CONFIG_GLOBAL: gitConfigFile },
  });
  const via = await buildApp('via-modgate', mg.url);
  assert.equal(via.code, 0, `through modgate direct: ${via.stderr}\nmodgate output:\n${mg.output()}`);
  assert.equal(via.stdout.trim(), '42');
});
