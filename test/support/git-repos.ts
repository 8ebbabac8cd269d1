// Builds real git repositories for direct-mode tests: files (symlinks, CRLF, non-ASCII names),
// commits with fixed committer times, tags and branches, all with a hermetic git environment.
// Repositories live under <root>/repos/<name> and are reached as https://example.com/<name> through
// a git `url.<file URL>.insteadOf` rewrite (see gitRewriteConfig), so module paths look like
// example.com/<name>.git/... for both the go command and modgate.
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runProcess } from './process-runner.js';

export type TreeFile = string | Buffer | { readonly symlink: string };

export interface TestRepo {
  readonly dir: string;
  /** Writes (or replaces) files in the work tree. */
  write(files: Record<string, TreeFile>): Promise<void>;
  remove(paths: readonly string[]): Promise<void>;
  /** Commits everything at the given unix time (author and committer); returns the hash. */
  commit(message: string, unixTime: number): Promise<string>;
  tag(name: string, opts?: { annotated?: boolean; at?: string }): Promise<void>;
  /** Switches to branch name (created at HEAD if missing; reset to start when given), or an orphan branch. */
  checkout(name: string, opts?: { start?: string; orphan?: boolean }): Promise<void>;
  git(args: readonly string[]): Promise<string>;
}

/** Environment for git in tests: no user or system config, fixed identity. */
export function testGitEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.com',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.com',
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
  };
}

/** Creates an empty repository named `name` under root/repos with branch main. */
export async function createTestRepo(root: string, name: string): Promise<TestRepo> {
  const dir = join(root, 'repos', name);
  const home = join(root, 'git-home');
  await mkdir(dir, { recursive: true });
  await mkdir(home, { recursive: true });
  const env = testGitEnv(home);
  let time = 0;
  const git = async (args: readonly string[]): Promise<string> => {
    const dateEnv = time > 0 ? { GIT_AUTHOR_DATE: `@${time} +0000`, GIT_COMMITTER_DATE: `@${time} +0000` } : {};
    const r = await runProcess('git', ['-c', 'core.autocrlf=false', '-c', 'core.symlinks=true', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args], {
      cwd: dir,
      env: { ...env, ...dateEnv },
      timeoutMs: 60_000,
    });
    if (r.code !== 0) throw new Error(`git ${args.join(' ')} in ${dir}: ${r.stderr}`);
    return r.stdout.trim();
  };
  await git(['init', '-q', '-b', 'main']);
  return {
    dir,
    git,
    async write(files) {
      for (const [name, content] of Object.entries(files)) {
        const p = join(dir, ...name.split('/'));
        await mkdir(dirname(p), { recursive: true });
        await rm(p, { force: true });
        if (typeof content === 'object' && !Buffer.isBuffer(content)) await symlink(content.symlink, p);
        else await writeFile(p, content);
      }
    },
    async remove(paths) {
      for (const name of paths) await rm(join(dir, ...name.split('/')), { recursive: true, force: true });
    },
    async commit(message, unixTime) {
      time = unixTime;
      await git(['add', '-A']);
      await git(['commit', '-q', '--allow-empty', '-m', message]);
      return git(['rev-parse', 'HEAD']);
    },
    async tag(name, opts = {}) {
      await git(['tag', ...(opts.annotated ? ['-a', '-m', name] : []), name, ...(opts.at ? [opts.at] : [])]);
    },
    async checkout(name, opts = {}) {
      if (opts.orphan) await git(['checkout', '-q', '--orphan', name]);
      else if (opts.start !== undefined) await git(['checkout', '-q', '-B', name, opts.start]);
      else await git(['checkout', '-q', name]).catch(() => git(['checkout', '-q', '-b', name]));
    },
  };
}

/** Git config entries that send https://example.com/<name> to root/repos/<name>. */
export function gitRewriteConfig(root: string): [string, string][] {
  return [
    [`url.${pathToFileURL(join(root, 'repos')).href}/.insteadOf`, 'https://example.com/'],
    ['protocol.file.allow', 'always'],
  ];
}

/** Writes the rewrite as $HOME/.gitconfig for the go command. */
export async function writeGoHomeGitConfig(home: string, root: string): Promise<void> {
  await mkdir(home, { recursive: true });
  const lines = ['[url "' + pathToFileURL(join(root, 'repos')).href + '/"]', '\tinsteadOf = https://example.com/', '[protocol "file"]', '\tallow = always', ''];
  await writeFile(join(home, '.gitconfig'), lines.join('\n'));
}
