// The `direct` upstream: modules fetched straight from git (the system git binary, never the Go
// toolchain), answering list/@latest/.info/.mod/.zip exactly as the go command computes them with
// GOPROXY=direct. Repositories are resolved like cmd/go/internal/vcs, mirrored under mirrorDir and
// refreshed incrementally; see docs/direct-mode.md for the options and their defaults.
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { ModgateError, isNotFound } from '../errors/modgate-error.js';
import { matchPrefixPatterns } from '../module/patterns.js';
import { canonical, compare, isValid, prerelease } from '../module/semver.js';
import { isPseudoVersion } from '../module/pseudo.js';
import { createCodeRepo, type CodeRepo } from '../vcs/code-repo.js';
import { runGit } from '../vcs/git-command.js';
import { credentialConfig, gitConfigEnv, resolveCredentials, type HostCredentials } from '../vcs/git-credentials.js';
import { urlHost } from '../vcs/git-errors.js';
import { createMirrorStore, type DirectEvent } from '../vcs/git-mirror.js';
import { createGitRepo, type GitRepo } from '../vcs/git-repo.js';
import { createGitModuleZip } from '../vcs/git-zip.js';
import { resolveRepoRoot, type GoGetPage, type RepoRoot } from '../vcs/repo-root.js';
import type { Upstream } from './upstream.js';

export type { DirectEvent, HostCredentials };

export interface GoGetOptions {
  /** Timeout of one `?go-get=1` request (default 30 s). */
  readonly timeoutMs?: number;
  /** Largest page read (default 1 MiB). */
  readonly maxBodyBytes?: number;
  /** User-Agent header (default "modgate (direct mode)"). */
  readonly userAgent?: string;
  /** Replaces the HTTP client (tests). */
  readonly fetchPage?: (url: string, signal?: AbortSignal) => Promise<GoGetPage>;
}

export interface DirectUpstreamOptions {
  /** Directory holding one bare git mirror per repository (created if missing). */
  readonly mirrorDir: string;
  /** Total mirror size above which least recently used mirrors are removed (default 10 GiB). */
  readonly sizeBudgetBytes?: number;
  /** Limit for one git command (default 10 minutes). */
  readonly gitTimeoutMs?: number;
  /** A repository's refs are re-checked at most this often for list/latest/queries (default 5 s). */
  readonly refreshIntervalMs?: number;
  /** How long a module path → repository resolution is remembered (default 10 minutes). */
  readonly repoRootTtlMs?: number;
  /** GOINSECURE-style comma-separated path globs: http allowed, TLS not verified. */
  readonly insecure?: string;
  /** Per-host credentials for git over HTTPS. */
  readonly credentials?: readonly HostCredentials[];
  /** Extra git config for every git command, e.g. [["url.https://mirror/.insteadOf", "https://github.com/"]]. */
  readonly gitConfig?: readonly (readonly [string, string])[];
  readonly goGet?: GoGetOptions;
  /** Scratch space for archives and zips (default <mirrorDir>/.tmp). */
  readonly tempDir?: string;
  /** Receives clone/fetch/evict/resolve events (never credentials). */
  readonly logger?: (e: DirectEvent) => void;
}

async function defaultFetchPage(url: string, opts: GoGetOptions, signal?: AbortSignal): Promise<GoGetPage> {
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 30_000);
  const res = await fetch(url, {
    signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    headers: { 'user-agent': opts.userAgent ?? 'modgate (direct mode)' },
    redirect: 'follow',
  });
  const max = opts.maxBodyBytes ?? 1 << 20;
  const chunks: Buffer[] = [];
  let n = 0;
  if (res.body) {
    for await (const c of res.body as AsyncIterable<Uint8Array>) {
      chunks.push(Buffer.from(c));
      n += c.length;
      if (n >= max) break;
    }
  }
  return { status: res.status, body: Buffer.concat(chunks).toString('utf8'), url: res.url || url };
}

export function createDirectUpstream(opts: DirectUpstreamOptions): Upstream {
  const tempDir = opts.tempDir ?? join(opts.mirrorDir, '.tmp');
  const gitTimeoutMs = opts.gitTimeoutMs ?? 600_000;
  const insecure = opts.insecure ?? '';
  const log = (e: DirectEvent): void => opts.logger?.(e);
  const credsFor = (host: string): HostCredentials | undefined => opts.credentials?.find((c) => c.host.toLowerCase() === host.toLowerCase());

  async function envFor(url: string): Promise<Record<string, string>> {
    const host = urlHost(url);
    const config: [string, string][] = [['credential.helper', ''], ['core.askPass', ''], ...(opts.gitConfig ?? []).map(([k, v]) => [k, v] as [string, string])];
    // Every configured host gets its own URL-scoped header, so credentials still apply when git
    // rewrites the URL (url.<base>.insteadOf) and are never sent to another host.
    for (const c of opts.credentials ?? []) {
      const user = await resolveCredentials(c);
      if (user) config.push(...credentialConfig(c.host, user));
    }
    if (matchPrefixPatterns(insecure, host)) config.push([`http.https://${host}/.sslVerify`, 'false']);
    return gitConfigEnv(config);
  }

  const store = createMirrorStore({
    dir: opts.mirrorDir,
    sizeBudgetBytes: opts.sizeBudgetBytes ?? 10 * 1024 ** 3,
    gitTimeoutMs,
    refreshIntervalMs: opts.refreshIntervalMs ?? 5_000,
    envFor,
    log: opts.logger,
  });

  const roots = new Map<string, { at: number; root: Promise<RepoRoot> }>();
  function resolve(path: string, signal?: AbortSignal): Promise<RepoRoot> {
    const hit = roots.get(path);
    if (hit && Date.now() - hit.at < (opts.repoRootTtlMs ?? 600_000)) return hit.root;
    const root = resolveRepoRoot(
      path,
      {
        insecure,
        fetchPage: (url, s) => (opts.goGet?.fetchPage ?? ((u, sig) => defaultFetchPage(u, opts.goGet ?? {}, sig)))(url, s),
        ping: async (url, s) => {
          const r = await runGit({ args: ['ls-remote', '--', url], env: await envFor(url), timeoutMs: gitTimeoutMs, signal: s, what: `git ls-remote ${url}`, maxStdout: 256 << 20 });
          return r.code === 0;
        },
      },
      signal,
    );
    roots.set(path, { at: Date.now(), root });
    root.then(
      (r) => log({ event: 'resolve', repo: path, message: `${r.root} ${r.repo}` }),
      () => roots.delete(path),
    );
    return root;
  }

  /** Clear wording for refused credentials: which host, and whether any were configured. */
  function explain(err: unknown): unknown {
    if (!(err instanceof ModgateError) || err.details?.auth !== true) return err;
    const host = String(err.details.host);
    const message = credsFor(host) ? `${host}: credentials were refused` : `${host}: authentication required and no credentials are configured for ${host}`;
    return new ModgateError('VCS_ERROR', `${message} (${err.message.replace(/^[^:]*: /, '')})`, { details: err.details });
  }

  async function withCode<T>(path: string, refresh: 'never' | 'ifStale' | 'always', signal: AbortSignal | undefined, fn: (code: CodeRepo, git: GitRepo) => Promise<T>): Promise<T> {
    try {
      const rr = await resolve(path, signal);
      const { mirror, release } = await store.acquire(rr.repo, refresh, signal);
      try {
        const git = createGitRepo(mirror, signal);
        return await fn(createCodeRepo(git, rr.root, path), git);
      } finally {
        release();
      }
    } catch (err) {
      if (signal?.aborted) throw err;
      if (err instanceof ModgateError) {
        log({ event: 'error', repo: path, message: err.message });
        throw explain(err);
      }
      throw new ModgateError('VCS_ERROR', `${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Canonical versions: the mirror as it is first, refreshed only when the version is missing. */
  async function fixed<T>(path: string, signal: AbortSignal | undefined, fn: (code: CodeRepo, git: GitRepo) => Promise<T>): Promise<T> {
    try {
      return await withCode(path, 'never', signal, fn);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      return withCode(path, 'ifStale', signal, fn);
    }
  }

  /** A version prefix query ("v1", "v1.2"): the highest matching release, else prerelease. */
  async function prefixQuery(code: CodeRepo, query: string): Promise<string | undefined> {
    const matching = (await code.versions()).filter((v) => v.startsWith(`${query}.`) || canonical(v) === canonical(query));
    const releases = matching.filter((v) => prerelease(v) === '');
    const pick = (releases.length > 0 ? releases : matching).sort(compare).at(-1);
    return pick;
  }

  const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

  return {
    name: 'direct',
    list: (path, signal) => withCode(path, 'ifStale', signal, async (code) => Buffer.from((await code.versions()).map((v) => `${v}\n`).join(''))),
    latest: (path, signal) => withCode(path, 'ifStale', signal, async (code) => json(await code.latest())),
    info(path, version, signal) {
      const isFixed = isValid(version) && (version === canonical(version) || version.endsWith('+incompatible'));
      if (isFixed || isPseudoVersion(version)) return fixed(path, signal, async (code) => json(await code.stat(version)));
      return withCode(path, 'ifStale', signal, async (code) => {
        try {
          return json(await code.stat(version));
        } catch (err) {
          const shorthand = isValid(version) && /^v[0-9]+(\.[0-9]+)?$/.test(version);
          if (!shorthand || !isNotFound(err)) throw err;
          const v = await prefixQuery(code, version);
          if (v === undefined) throw err;
          return json(await code.stat(v));
        }
      });
    },
    mod: (path, version, signal) => fixed(path, signal, (code) => code.goMod(version)),
    zip(path, version, signal) {
      return fixed(path, signal, async (code, git): Promise<Readable> => {
        const { hash, dir } = await code.source(version);
        await mkdir(tempDir, { recursive: true });
        const id = randomBytes(8).toString('hex');
        const archiveFile = join(tempDir, `archive-${id}.zip`);
        const outFile = join(tempDir, `module-${id}.zip`);
        try {
          await createGitModuleZip({ repo: git, modPath: path, version, hash, subdir: dir, archiveFile, outFile });
        } catch (err) {
          await rm(outFile, { force: true });
          throw err;
        } finally {
          await rm(archiveFile, { force: true });
        }
        const stream = createReadStream(outFile);
        stream.once('close', () => void rm(outFile, { force: true }));
        return stream;
      });
    },
  };
}
