// Module path → repository, the way the go command's cmd/go/internal/vcs does it: static hosts
// (github.com, bitbucket.org, ...), then an explicit VCS suffix element (`.git`) whose scheme is
// found by pinging, then `?go-get=1` discovery of go-import meta tags (https; http too for
// GOINSECURE-style patterns). Only git repositories are served; other VCSes are refused plainly.
import { ModgateError } from '../errors/modgate-error.js';
import { matchPrefixPatterns } from '../module/patterns.js';
import { matchGoImport, parseMetaGoImports, repoRootError, type MetaImport } from './go-import-meta.js';

export interface RepoRoot {
  /** The import-path prefix the repository holds ("github.com/x/y"). */
  readonly root: string;
  readonly vcs: string;
  /** Repository URL for git. */
  readonly repo: string;
}

export interface GoGetPage {
  readonly status: number;
  readonly body: string;
  /** Final URL after redirects. */
  readonly url: string;
}

export interface RepoRootResolverOptions {
  /** GOINSECURE-style patterns: matching paths may use http (and unverified TLS for git). */
  readonly insecure: string;
  /** Fetches a `?go-get=1` page (errors reject). */
  readonly fetchPage: (url: string, signal?: AbortSignal) => Promise<GoGetPage>;
  /** Whether `git ls-remote url` succeeds. */
  readonly ping: (url: string, signal?: AbortSignal) => Promise<boolean>;
}

interface StaticHost {
  readonly prefix: string;
  readonly re: RegExp;
  readonly vcs: string;
  readonly noVcsSuffix: boolean;
}

const SEG = '[A-Za-z0-9_.\\-]+';
const STATIC_HOSTS: readonly StaticHost[] = [
  { prefix: 'github.com', re: new RegExp(`^(github\\.com/${SEG}/${SEG})(/${SEG})*$`), vcs: 'git', noVcsSuffix: true },
  { prefix: 'bitbucket.org', re: new RegExp(`^(bitbucket\\.org/${SEG}/${SEG})(/${SEG})*$`), vcs: 'git', noVcsSuffix: true },
  { prefix: 'hub.jazz.net/git', re: new RegExp(`^(hub\\.jazz\\.net/git/[a-z0-9]+/${SEG})(/${SEG})*$`), vcs: 'git', noVcsSuffix: true },
  { prefix: 'git.apache.org', re: new RegExp(`^(git\\.apache\\.org/[a-z0-9_.\\-]+\\.git)(/${SEG})*$`), vcs: 'git', noVcsSuffix: false },
  { prefix: 'git.openstack.org', re: new RegExp(`^(git\\.openstack\\.org/${SEG}/${SEG})(\\.git)?(/${SEG})*$`), vcs: 'git', noVcsSuffix: false },
  { prefix: 'chiselapp.com', re: /^(chiselapp\.com\/user\/[A-Za-z0-9]+\/repository\/[A-Za-z0-9_.-]+)$/, vcs: 'fossil', noVcsSuffix: false },
];

/** The generic pattern: an element ending in a VCS suffix marks the repository root. */
const VCS_SUFFIX_RE = /((([a-z0-9.-]+\.)+[a-z0-9.-]+(:[0-9]+)?(\/~?[A-Za-z0-9_.-]+)+?)\.(bzr|fossil|git|hg|svn))(\/~?[A-Za-z0-9_.-]+)*$/;

function hasPathPrefix(s: string, prefix: string): boolean {
  return s === prefix || s.startsWith(`${prefix}/`);
}

function notFound(path: string, reason: string): ModgateError {
  return new ModgateError('NOT_FOUND', `unrecognized import path "${path}": ${reason}`);
}

/** The static-host or VCS-suffix answer for path, undefined when discovery is needed. */
export async function repoRootFromPaths(path: string, opts: RepoRootResolverOptions, signal?: AbortSignal): Promise<RepoRoot | undefined> {
  if (hasPathPrefix(path, 'example.net')) throw notFound(path, 'no modules on example.net');
  for (const h of STATIC_HOSTS) {
    if (!hasPathPrefix(path, h.prefix)) continue;
    const m = h.re.exec(path);
    if (!m) throw notFound(path, `invalid ${h.prefix} import path "${path}"`);
    const root = m[1]!;
    if (h.noVcsSuffix && /\.(bzr|fossil|git|hg|svn)$/.test(root.slice(root.lastIndexOf('/') + 1))) {
      throw notFound(path, `invalid version control suffix in ${h.prefix}/ path`);
    }
    return { root, vcs: h.vcs, repo: `https://${root}` };
  }
  const m = VCS_SUFFIX_RE.exec(path);
  if (!m) return undefined;
  const root = m[1]!;
  const repo = m[2]!;
  const vcs = m[6]!;
  if (vcs !== 'git') return { root, vcs, repo: `https://${repo}` };
  const insecure = matchPrefixPatterns(opts.insecure, path);
  const schemes = insecure ? ['https', 'http'] : ['https'];
  for (const s of schemes) {
    if (await opts.ping(`${s}://${repo}`, signal)) return { root, vcs, repo: `${s}://${repo}` };
  }
  return { root, vcs, repo: `https://${repo}` };
}

async function metaImports(prefix: string, opts: RepoRootResolverOptions, signal?: AbortSignal): Promise<{ url: string; imports: MetaImport[] }> {
  const slash = prefix.indexOf('/');
  const host = slash < 0 ? prefix : prefix.slice(0, slash);
  const rest = slash < 0 ? '' : prefix.slice(slash);
  const schemes = matchPrefixPatterns(opts.insecure, prefix) ? ['https', 'http'] : ['https'];
  let lastErr: unknown;
  for (const s of schemes) {
    const url = `${s}://${host}${rest}?go-get=1`;
    let page: GoGetPage;
    try {
      page = await opts.fetchPage(url, signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      lastErr = err;
      continue;
    }
    const imports = parseMetaGoImports(page.body);
    if (imports.length === 0 && page.status !== 200) {
      if (page.status === 404 || page.status === 410) throw notFound(prefix, `reading ${url}: ${page.status}`);
      throw new ModgateError('VCS_ERROR', `${host}: reading ${url}: status ${page.status}`);
    }
    return { url: page.url, imports };
  }
  throw new ModgateError('VCS_ERROR', `${host}: https fetch of ${host}${rest}?go-get=1 failed: ${(lastErr as Error | undefined)?.message ?? 'unknown error'}`, { cause: lastErr });
}

/** Discovery through go-import meta tags, including the go command's prefix agreement check. */
export async function repoRootDynamic(path: string, opts: RepoRootResolverOptions, signal?: AbortSignal): Promise<RepoRoot> {
  const { url, imports } = await metaImports(path, opts, signal);
  let mmi: MetaImport;
  try {
    mmi = matchGoImport(imports, path);
  } catch (err) {
    throw notFound(path, `parse ${url}: ${(err as Error).message}`);
  }
  if (mmi.prefix !== path) {
    const other = await metaImports(mmi.prefix, opts, signal);
    let again: MetaImport | undefined;
    try {
      again = matchGoImport(other.imports, path);
    } catch {
      again = undefined;
    }
    if (!again || again.prefix !== mmi.prefix || again.vcs !== mmi.vcs || again.repoRoot !== mmi.repoRoot) {
      throw notFound(path, `${url} and ${other.url} disagree about go-import for ${mmi.prefix}`);
    }
  }
  const bad = repoRootError(mmi.repoRoot);
  if (bad !== undefined) throw notFound(path, `${url}: invalid repo root "${mmi.repoRoot}": ${bad}`);
  return { root: mmi.prefix, vcs: mmi.vcs, repo: mmi.repoRoot };
}

/** Resolves a module path to its repository; throws NOT_FOUND or VCS_ERROR for unsupported VCSes. */
export async function resolveRepoRoot(path: string, opts: RepoRootResolverOptions, signal?: AbortSignal): Promise<RepoRoot> {
  const rr = (await repoRootFromPaths(path, opts, signal)) ?? (await repoRootDynamic(path, opts, signal));
  if (rr.vcs === 'mod') {
    throw new ModgateError('VCS_ERROR', `${path}: go-import names a module proxy (${rr.repo}); list it as an upstream instead of relying on direct mode`);
  }
  if (rr.vcs !== 'git') throw new ModgateError('VCS_ERROR', `${path}: version control system "${rr.vcs}" is not supported by modgate direct mode (git only)`);
  return rr;
}
