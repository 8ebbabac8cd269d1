// Bare git mirrors for direct mode: one per repository URL under the mirror directory, cloned once
// and then updated with incremental `git fetch` (only when `git ls-remote` shows refs moved).
// Concurrent users of one repository share one clone/fetch (single-flight); mirrors are bounded by
// a size budget, evicting the least recently used ones that nobody is reading.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModgateError } from '../errors/modgate-error.js';
import { runGit, runGitOk, type GitResult } from './git-command.js';
import { classifyGitFailure } from './git-errors.js';

/** What direct mode reports to the optional logger callback. */
export interface DirectEvent {
  readonly event: 'clone' | 'fetch' | 'up-to-date' | 'evict' | 'resolve' | 'error';
  /** Repository URL (never with credentials) or module path for 'resolve'. */
  readonly repo: string;
  readonly ms?: number;
  readonly bytes?: number;
  readonly message?: string;
}

export interface MirrorStoreOptions {
  readonly dir: string;
  /** Total size of all mirrors above which least recently used ones are removed. */
  readonly sizeBudgetBytes: number;
  readonly gitTimeoutMs: number;
  /** A repository's refs are re-checked at most this often (list/latest/queries). */
  readonly refreshIntervalMs: number;
  /** GIT_CONFIG_* environment for a repository URL (extra config + that host's credentials). */
  readonly envFor: (url: string) => Promise<Record<string, string>>;
  readonly log?: ((e: DirectEvent) => void) | undefined;
}

/** A ready mirror: run git inside it. */
export interface Mirror {
  readonly url: string;
  readonly dir: string;
  git(args: readonly string[], what: string, opts?: { signal?: AbortSignal | undefined; stdoutFile?: string; maxStdout?: number }): Promise<GitResult>;
}

export interface MirrorStore {
  /**
   * The mirror of url, cloned if missing. refresh 'never' uses what is there; 'ifStale' re-checks
   * the remote when the last check is older than refreshIntervalMs; 'always' re-checks now.
   * The mirror stays pinned (not evicted) until release() is called.
   */
  acquire(url: string, refresh: 'never' | 'ifStale' | 'always', signal?: AbortSignal): Promise<{ mirror: Mirror; release: () => void }>;
}

const REFSPECS = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'];

function mirrorName(url: string): string {
  const tail = url.replace(/^[a-z+]+:\/\//i, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(-60);
  return `${createHash('sha256').update(url).digest('hex').slice(0, 16)}-${tail}`;
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await dirSize(p);
    else total += (await stat(p).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

export function createMirrorStore(opts: MirrorStoreOptions): MirrorStore {
  const inflight = new Map<string, { done: Promise<void>; refreshes: boolean }>();
  const lastRefresh = new Map<string, number>();
  const pins = new Map<string, number>();
  const log = (e: DirectEvent): void => opts.log?.(e);

  function mirrorOf(url: string, dir: string, env: Record<string, string>): Mirror {
    return {
      url,
      dir,
      git: (args, what, o = {}) =>
        runGit({
          cwd: dir,
          args,
          env,
          what,
          timeoutMs: opts.gitTimeoutMs,
          signal: o.signal,
          ...(o.stdoutFile === undefined ? {} : { stdoutFile: o.stdoutFile }),
          ...(o.maxStdout === undefined ? {} : { maxStdout: o.maxStdout }),
        }),
    };
  }

  /** ls-remote → fetch when refs differ → HEAD follows the remote's default branch. */
  async function update(m: Mirror, fresh: boolean, signal?: AbortSignal): Promise<void> {
    const started = Date.now();
    const ls = await m.git(['ls-remote', '--symref', 'origin'], `git ls-remote ${m.url}`, { signal });
    if (ls.code !== 0) throw classifyGitFailure(m.url, ls.stderr);
    const remote = new Map<string, string>();
    let head: string | undefined;
    for (const line of ls.stdout.toString('utf8').split('\n')) {
      const sym = /^ref: (refs\/heads\/\S+)\tHEAD$/.exec(line);
      if (sym) head = sym[1];
      const [hash, ref] = line.split('\t');
      if (hash && ref && (ref.startsWith('refs/heads/') || ref.startsWith('refs/tags/')) && !ref.endsWith('^{}')) remote.set(ref, hash);
    }
    const local = new Map<string, string>();
    if (!fresh) {
      const out = await runGitOk({ cwd: m.dir, args: ['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads', 'refs/tags'], what: 'git for-each-ref', timeoutMs: opts.gitTimeoutMs, signal });
      for (const line of out.toString('utf8').split('\n')) {
        const [hash, ref] = line.split(' ');
        if (hash && ref) local.set(ref, hash);
      }
    }
    const same = local.size === remote.size && [...remote].every(([r, h]) => local.get(r) === h);
    if (!same && remote.size > 0) {
      const f = await m.git(['fetch', '-f', '--prune', '--no-tags', 'origin', ...REFSPECS], `git fetch ${m.url}`, { signal });
      if (f.code !== 0) throw classifyGitFailure(m.url, f.stderr);
    }
    if (head !== undefined) await m.git(['symbolic-ref', 'HEAD', head], 'git symbolic-ref', { signal });
    lastRefresh.set(m.url, Date.now());
    log({ event: fresh ? 'clone' : same ? 'up-to-date' : 'fetch', repo: m.url, ms: Date.now() - started });
  }

  async function clone(url: string, dir: string, env: Record<string, string>, signal?: AbortSignal): Promise<void> {
    const tmp = `${dir}.tmp-${randomBytes(6).toString('hex')}`;
    try {
      await mkdir(tmp, { recursive: true });
      await runGitOk({ cwd: tmp, args: ['init', '--bare', '--quiet'], what: 'git init', timeoutMs: opts.gitTimeoutMs, signal });
      await runGitOk({ cwd: tmp, args: ['remote', 'add', 'origin', '--', url], what: 'git remote add', timeoutMs: opts.gitTimeoutMs, signal });
      // Neutralise .gitattributes export-subst/export-ignore, as the go command does.
      await mkdir(join(tmp, 'info'), { recursive: true });
      await writeFile(join(tmp, 'info', 'attributes'), '\n* -export-subst -export-ignore\n');
      await update(mirrorOf(url, tmp, env), true, signal);
      await rename(tmp, dir);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  async function evict(keep: string): Promise<void> {
    const names = (await readdir(opts.dir).catch(() => [] as string[])).filter((n) => !n.includes('.tmp-'));
    const entries = await Promise.all(
      names.map(async (n) => {
        const p = join(opts.dir, n);
        return { p, used: (await stat(p).catch(() => ({ mtimeMs: 0 }))).mtimeMs, size: await dirSize(p) };
      }),
    );
    let total = entries.reduce((s, e) => s + e.size, 0);
    entries.sort((a, b) => a.used - b.used);
    for (const e of entries) {
      if (total <= opts.sizeBudgetBytes) break;
      if (e.p === keep || (pins.get(e.p) ?? 0) > 0 || inflight.has(e.p)) continue;
      await rm(e.p, { recursive: true, force: true });
      total -= e.size;
      log({ event: 'evict', repo: e.p, bytes: e.size });
    }
  }

  return {
    async acquire(url, refresh, signal) {
      const dir = join(opts.dir, mirrorName(url));
      const env = await opts.envFor(url);
      pins.set(dir, (pins.get(dir) ?? 0) + 1);
      const release = (): void => {
        const n = (pins.get(dir) ?? 1) - 1;
        if (n <= 0) pins.delete(dir);
        else pins.set(dir, n);
      };
      try {
        for (;;) {
          const running = inflight.get(dir);
          if (running) {
            await running.done;
            // A clone or refresh that finished while we waited is as good as ours.
            if (refresh === 'never' || running.refreshes) break;
            continue;
          }
          // Decide and register synchronously so concurrent callers join this work.
          const stale = Date.now() - (lastRefresh.get(url) ?? 0) >= opts.refreshIntervalMs;
          const refreshes = refresh === 'always' || (refresh === 'ifStale' && stale);
          const done = (async () => {
            const exists = await stat(dir).then(
              () => true,
              () => false,
            );
            if (exists && !refreshes) return;
            if (exists) await update(mirrorOf(url, dir, env), false, signal);
            else await clone(url, dir, env, signal);
            await evict(dir);
          })().finally(() => inflight.delete(dir));
          inflight.set(dir, { done, refreshes });
          await done;
          break;
        }
        if (!(await stat(dir).catch(() => undefined))) throw new ModgateError('VCS_ERROR', `${url}: mirror disappeared`);
        const now = new Date();
        await utimes(dir, now, now).catch(() => undefined);
        return { mirror: mirrorOf(url, dir, env), release };
      } catch (err) {
        release();
        throw err;
      }
    },
  };
}
