// Read-only questions to one git mirror, the vocabulary of the go command's codehost.Repo:
// refs and tags, stat a revision (hash, committer time, tags on it), read a file at a revision,
// the newest allowed tag merged into a commit, ancestry, and `git archive` into a file.
import { createHash } from 'node:crypto';
import { ModgateError } from '../errors/modgate-error.js';
import { canonical, compare } from '../module/semver.js';
import type { Mirror } from './git-mirror.js';

/** A resolved revision (Go's codehost.RevInfo). */
export interface RevInfo {
  /** Full commit hash. */
  readonly name: string;
  /** First 12 hex digits. */
  readonly short: string;
  /** Committer time (UTC, whole seconds). */
  readonly time: Date;
  /** Tag names pointing at this commit, sorted. */
  readonly tags: readonly string[];
  /** The tag name when the revision asked for was one of those tags, else the hash. */
  readonly version: string;
  /** The ref the revision was found through ("refs/heads/main", "HEAD"), when not a hash. */
  readonly ref?: string;
}

export interface Tag {
  readonly name: string;
  readonly hash: string;
}

/** Thrown when a revision does not exist in the repository. */
export class UnknownRevisionError extends ModgateError {
  constructor(rev: string) {
    super('NOT_FOUND', `unknown revision ${rev}`);
  }
}

const isHex = (s: string): boolean => /^[0-9a-f]+$/.test(s);

export interface GitRepo {
  readonly url: string;
  /** refs/heads/*, refs/tags/* (annotated tags peeled) and HEAD → commit hash. */
  refs(): Promise<ReadonlyMap<string, string>>;
  /** Tags starting with prefix, sorted by name, plus Go's origin TagSum over them. */
  tags(prefix: string): Promise<{ list: Tag[]; tagSum: string }>;
  /** Resolves a tag, branch, HEAD or (short) commit hash; throws UnknownRevisionError. */
  stat(rev: string): Promise<RevInfo>;
  /** A file's bytes at a commit, or undefined when it does not exist (or is not a file). */
  readFile(hash: string, file: string, maxSize: number): Promise<Buffer | undefined>;
  /** The highest allowed tag (with prefix) merged into hash, or ''. */
  recentTag(hash: string, prefix: string, allowed: (tag: string) => boolean): Promise<string>;
  /** Whether tag is an ancestor of (or equal to) hash. */
  descendsFrom(hash: string, tag: string): Promise<boolean>;
  /** `git archive --format=zip` of hash (optionally only subdir) into file; false if subdir matched nothing. */
  archive(hash: string, subdir: string, file: string): Promise<boolean>;
}

export function createGitRepo(mirror: Mirror, signal?: AbortSignal): GitRepo {
  let refsMemo: Promise<Map<string, string>> | undefined;
  const git = async (args: readonly string[], what: string): Promise<{ code: number; stdout: Buffer; stderr: string }> => mirror.git(args, what, { signal });
  const ok = async (args: readonly string[], what: string): Promise<string> => {
    const r = await git(args, what);
    if (r.code !== 0) throw new ModgateError('VCS_ERROR', `${what} in ${mirror.url}: ${r.stderr.trim().split('\n')[0] ?? 'failed'}`);
    return r.stdout.toString('utf8');
  };

  async function statLocal(version: string, rev: string): Promise<RevInfo | undefined> {
    const r = await git(['-c', 'log.showsignature=false', 'log', '--no-decorate', '-n1', '--format=format:%H %ct %D', rev, '--'], 'git log');
    if (r.code !== 0) return undefined;
    const f = r.stdout.toString('utf8').trim().split(/\s+/);
    const hash = f[0] ?? '';
    const ct = Number(f[1]);
    if (!/^[0-9a-f]{40}$/.test(hash) || !Number.isFinite(ct)) return undefined;
    const tags: string[] = [];
    for (let i = 2; i < f.length; i++) {
      if (f[i] === 'tag:' && i + 1 < f.length) tags.push((f[++i] ?? '').replace(/,$/, ''));
    }
    tags.sort();
    const v = hash.startsWith(version) ? hash : version;
    return {
      name: hash,
      short: hash.slice(0, 12),
      time: new Date(ct * 1000),
      tags,
      version: tags.includes(v) ? v : hash,
      ...(hash.startsWith(rev) ? {} : { ref: rev }),
    };
  }

  const repo: GitRepo = {
    url: mirror.url,
    refs() {
      refsMemo ??= (async () => {
        const out = await ok(['for-each-ref', '--format=%(objectname) %(*objectname) %(refname)', 'refs/heads', 'refs/tags'], 'git for-each-ref');
        const refs = new Map<string, string>();
        for (const line of out.split('\n')) {
          const parts = line.split(' ');
          if (parts.length !== 3) continue;
          const [obj = '', peeled = '', ref = ''] = parts;
          refs.set(ref, peeled || obj);
        }
        const head = await git(['rev-parse', '--verify', '-q', 'HEAD^{commit}'], 'git rev-parse');
        if (head.code === 0) refs.set('HEAD', head.stdout.toString('utf8').trim());
        return refs;
      })();
      return refsMemo;
    },
    async tags(prefix) {
      const refs = await repo.refs();
      const list: Tag[] = [];
      for (const [ref, hash] of refs) {
        if (ref.startsWith('refs/tags/') && ref.slice(10).startsWith(prefix)) list.push({ name: ref.slice(10), hash });
      }
      list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const dir = prefix.slice(0, prefix.lastIndexOf('/') + 1);
      const h = createHash('sha256');
      for (const t of list) {
        const v = t.name.slice(dir.length);
        const c = canonical(v); // Go's isOriginTag: tags that may become versions
        if (c !== '' && v.startsWith(c)) h.update(`${JSON.stringify(t.name)} ${t.hash}\n`);
      }
      return { list, tagSum: `t1:${h.digest('base64')}` };
    },
    async stat(rev) {
      if (rev.length >= 7 && rev.length <= 40 && isHex(rev)) {
        const info = await statLocal(rev, rev);
        if (info) return info;
      }
      const refs = await repo.refs();
      let ref: string | undefined;
      let target = rev;
      if (refs.has(`refs/tags/${rev}`)) ref = `refs/tags/${rev}`;
      else if (refs.has(`refs/heads/${rev}`)) {
        ref = `refs/heads/${rev}`;
        target = refs.get(ref) ?? rev;
      } else if (rev === 'HEAD' && refs.has('HEAD')) {
        ref = 'HEAD';
        target = refs.get(ref) ?? rev;
      }
      if (ref === undefined || rev.startsWith('-')) throw new UnknownRevisionError(rev);
      const info = await statLocal(target, ref.startsWith('refs/tags/') ? ref : target);
      if (!info) throw new UnknownRevisionError(rev);
      return { ...info, ref };
    },
    async readFile(hash, file, maxSize) {
      const r = await mirror.git(['cat-file', 'blob', `${hash}:${file}`], 'git cat-file', { signal, maxStdout: maxSize + 1 }).catch((err: unknown) => {
        if (err instanceof ModgateError && /larger than/.test(err.message)) {
          throw new ModgateError('VCS_ERROR', `${mirror.url}: ${file} at ${hash} is larger than ${maxSize} bytes`);
        }
        throw err;
      });
      return r.code === 0 ? r.stdout : undefined;
    },
    async recentTag(hash, prefix, allowed) {
      const out = await ok(['for-each-ref', '--format', '%(refname)', 'refs/tags', '--merged', hash], 'git for-each-ref --merged');
      let highest = '';
      for (const line of out.split('\n')) {
        const name = line.trim().replace(/^refs\/tags\//, '');
        if (!line.trim().startsWith('refs/tags/') || !name.startsWith(prefix) || !allowed(name)) continue;
        const v = name.slice(prefix.length);
        if (compare(v, highest) > 0) highest = v;
      }
      return highest === '' ? '' : prefix + highest;
    },
    async descendsFrom(hash, tag) {
      const r = await git(['merge-base', '--is-ancestor', '--', tag, hash], 'git merge-base');
      return r.code === 0;
    },
    async archive(hash, subdir, file) {
      const args = ['-c', 'core.autocrlf=input', '-c', 'core.eol=lf', 'archive', '--format=zip', '--prefix=prefix/', hash];
      if (subdir !== '') args.push('--', subdir);
      const r = await mirror.git(args, 'git archive', { signal, stdoutFile: file, maxStdout: 500 << 20 });
      if (r.code === 0) return true;
      if (r.stderr.includes('did not match any files')) return false;
      throw new ModgateError('VCS_ERROR', `git archive ${hash} in ${mirror.url}: ${r.stderr.trim().split('\n')[0] ?? 'failed'}`);
    },
  };
  return repo;
}
