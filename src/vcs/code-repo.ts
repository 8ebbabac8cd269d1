// One module inside one git repository, answering like the go command's modfetch codeRepo: which
// tags are versions (subdirectory tag prefix, /vN rules, +incompatible), what a revision or query
// resolves to (tag or pseudo-version with the right base), where the module's files live at a
// version (findDir) and its go.mod. Pure logic over GitRepo; git itself is in git-repo.ts.
import { ModgateError } from '../errors/modgate-error.js';
import { matchPathMajor, pathMajorPrefix, splitPathVersion } from '../module/check-path.js';
import { modulePathFromGoMod, parseGoMod } from '../module/go-mod.js';
import { isPseudoVersion, pseudoVersion, pseudoVersionBase, pseudoVersionRev, pseudoVersionTime, formatPseudoVersionTime } from '../module/pseudo.js';
import { build, canonical, compare, isValid, major, prerelease, sortVersions } from '../module/semver.js';
import { canonicalVersion } from '../module/version.js';
import { MAX_GO_MOD } from '../zip/zip-rules.js';
import { UnknownRevisionError, type GitRepo, type RevInfo } from './git-repo.js';

/** The .info answer (Go's RevInfo as JSON). */
export interface ModuleInfo {
  readonly Version: string;
  readonly Time: string;
  readonly Origin: Origin;
}

export interface Origin {
  readonly VCS: 'git';
  readonly URL: string;
  readonly Subdir?: string;
  readonly Hash?: string;
  readonly TagPrefix?: string;
  readonly TagSum?: string;
  readonly Ref?: string;
}

export interface CodeRepo {
  readonly modPath: string;
  /** Tagged versions, sorted, including +incompatible ones where the go command lists them. */
  versions(): Promise<string[]>;
  /** Resolves a version, tag, branch or commit (Go's codeRepo.Stat). */
  stat(rev: string): Promise<ModuleInfo>;
  /** HEAD as a version (Go's codeRepo.Latest). */
  latest(): Promise<ModuleInfo>;
  /** go.mod bytes for a canonical version (synthesized for legacy modules). */
  goMod(version: string): Promise<Buffer>;
  /** Commit and directory holding the module's files at a canonical version. */
  source(version: string): Promise<{ hash: string; dir: string }>;
}

/** Formats a Date as Go's time.Time JSON (RFC 3339, UTC, no zero fraction). */
export function formatGoTime(t: Date): string {
  return t.toISOString().replace('.000Z', 'Z');
}

const hasPathPrefix = (s: string, prefix: string): boolean =>
  s === prefix || (s.startsWith(prefix) && (prefix.endsWith('/') || s[prefix.length] === '/'));

function invalid(modPath: string, version: string, reason: string): ModgateError {
  return new ModgateError('NOT_FOUND', `${modPath}@${version}: invalid version: ${reason}`);
}

/** Go's isMajor: whether go.mod's module path mpath fits the requested major suffix. */
export function isMajor(mpath: string, pathMajor: string): boolean {
  if (mpath === '') return false;
  const split = splitPathVersion(mpath);
  if (!split) return false;
  if (pathMajor === '') return ['', 'v0', 'v1'].includes(pathMajorPrefix(split.pathMajor));
  if (split.pathMajor === '') return false;
  return pathMajor.slice(1) === split.pathMajor.slice(1);
}

export function createCodeRepo(repo: GitRepo, codeRoot: string, modPath: string): CodeRepo {
  const split = splitPathVersion(modPath);
  if (!split || !hasPathPrefix(modPath, codeRoot)) throw new ModgateError('NOT_FOUND', `mismatched repo: found ${codeRoot} for ${modPath}`);
  const pathMajor = split.pathMajor;
  const pathPrefix = codeRoot === modPath ? modPath : split.prefix;
  const pseudoMajor = pathMajorPrefix(pathMajor);
  let codeDir = '';
  if (codeRoot !== modPath) {
    if (!hasPathPrefix(pathPrefix, codeRoot)) throw new ModgateError('NOT_FOUND', `repository rooted at ${codeRoot} cannot contain module ${modPath}`);
    codeDir = pathPrefix.slice(codeRoot.length).replace(/^\/+|\/+$/g, '');
  }
  const tagPrefix = codeDir === '' ? '' : `${codeDir}/`;
  const join = (...parts: string[]): string => parts.filter((p) => p !== '').join('/');
  const fileAt = async (rev: string, file: string): Promise<Buffer | undefined> => {
    let hash = rev;
    if (!/^[0-9a-f]{40}$/.test(rev)) {
      try {
        hash = (await repo.stat(rev)).name;
      } catch {
        return undefined;
      }
    }
    return repo.readFile(hash, file, MAX_GO_MOD);
  };

  /**
   * The commit hash of rev for reading file. A revision the repository does not have is NOT_FOUND,
   * worded as the go command's findDir words it (its ReadFile fails with unknown revision, which
   * is fs.ErrNotExist), not "no go.mod there".
   */
  async function resolveRev(rev: string, version: string, file: string): Promise<string> {
    if (/^[0-9a-f]{40}$/.test(rev)) return rev;
    try {
      return (await repo.stat(rev)).name;
    } catch (err) {
      if (err instanceof UnknownRevisionError) throw new ModgateError('NOT_FOUND', `${modPath}@${version}: reading ${codeRoot}/${file} at revision ${rev}: unknown revision ${rev}`);
      throw err;
    }
  }

  function revToRev(rev: string): string {
    if (!isValid(rev)) return rev;
    if (isPseudoVersion(rev)) return pseudoVersionRev(rev);
    const r = build(rev) === '+incompatible' ? rev.slice(0, -'+incompatible'.length) : rev;
    return tagPrefix + r;
  }

  async function versions(): Promise<string[]> {
    const { list: tags } = await repo.tags(tagPrefix);
    const list: string[] = [];
    const incompatible: string[] = [];
    for (const t of tags) {
      const v = t.name.slice(tagPrefix.length);
      if (v === '' || v !== canonical(v) || isPseudoVersion(v)) continue;
      if (!matchPathMajor(v, pathMajor)) {
        if (codeDir === '' && pathMajor === '' && compare(major(v), 'v1') > 0) incompatible.push(v);
        continue;
      }
      list.push(v);
    }
    const sorted = sortVersions(list);
    if (incompatible.length === 0 || pathMajor !== '') return sorted;
    const hasGoMod = async (v: string): Promise<boolean> => (await fileAt(v, 'go.mod')) !== undefined;
    const last = sorted.at(-1);
    if (last !== undefined && (await hasGoMod(last))) return sorted;
    const inc = sortVersions(incompatible);
    let lastMajor = '';
    let lastMajorHasGoMod = false;
    for (let i = 0; i < inc.length; i++) {
      const v = inc[i]!;
      if (major(v) !== lastMajor) {
        lastMajor = major(v);
        const latestAtMajor = inc.filter((x) => major(x) === lastMajor).at(-1)!;
        lastMajorHasGoMod = await hasGoMod(latestAtMajor);
      }
      if (!lastMajorHasGoMod) sorted.push(`${v}+incompatible`);
    }
    return sorted;
  }

  async function retracted(): Promise<(v: string) => boolean> {
    try {
      const vs = (await versions()).filter((v) => !v.endsWith('+incompatible'));
      if (vs.length === 0) return () => false;
      const highest = [...vs].reverse().find((v) => prerelease(v) === '') ?? vs.at(-1)!;
      const f = parseGoMod((await goMod(highest)).toString('utf8'));
      return (v) => f.retract.some((r) => compare(r.low, v) <= 0 && compare(v, r.high) <= 0);
    } catch {
      return () => false;
    }
  }

  async function findDir(version: string): Promise<{ rev: string; dir: string; gomod: Buffer | undefined }> {
    if (!isValid(version)) throw invalid(modPath, version, 'syntax error');
    const rev = revToRev(version);
    // An unknown revision is not "no go.mod there": it is a version the repository does not have.
    const file1 = join(codeDir, 'go.mod');
    const hash = await resolveRev(rev, version, file1);
    const gomod1 = await fileAt(hash, file1);
    const mpath1 = gomod1 ? modulePathFromGoMod(gomod1.toString('utf8')) : '';
    const found1 = gomod1 !== undefined && (isMajor(mpath1, pathMajor) || (pathMajor === '' && mpath1.startsWith('gopkg.in/')));
    let file2 = '';
    if (pathMajor !== '' && codeRoot !== modPath && !pathMajor.startsWith('.')) {
      const dir2 = join(codeDir, pathMajor.slice(1));
      file2 = join(dir2, 'go.mod');
      const gomod2 = await fileAt(hash, file2);
      const mpath2 = gomod2 ? modulePathFromGoMod(gomod2.toString('utf8')) : '';
      const found2 = gomod2 !== undefined && isMajor(mpath2, pathMajor);
      if (found1 && found2) throw invalid(modPath, version, `${pathPrefix}/${file1} and ...${pathMajor}/go.mod both have ...${pathMajor} module paths at revision ${rev}`);
      if (found2) return { rev, dir: dir2, gomod: gomod2 };
      if (gomod2 !== undefined) {
        throw invalid(modPath, version, mpath2 === '' ? `${codeRoot}/${file2} is missing module path at revision ${rev}` : `${codeRoot}/${file2} has non-...${pathMajor} module path "${mpath2}" at revision ${rev}`);
      }
    }
    if (found1) return { rev, dir: codeDir, gomod: gomod1 };
    if (gomod1 !== undefined) {
      const suffix = file2 !== '' ? ` (and ...${pathMajor}/go.mod does not exist)` : '';
      if (mpath1 === '') throw invalid(modPath, version, `${file1} is missing module path${suffix} at revision ${rev}`);
      if (pathMajor !== '') throw invalid(modPath, version, `${file1} has non-...${pathMajor} module path "${mpath1}"${suffix} at revision ${rev}`);
      throw invalid(modPath, version, `${file1} has post-${major(version)} module path "${mpath1}"${suffix} at revision ${rev}`);
    }
    if (codeDir === '' && (pathMajor === '' || pathMajor.startsWith('.'))) return { rev, dir: '', gomod: undefined };
    if (file2 !== '') throw invalid(modPath, version, `missing ${pathPrefix}/go.mod and ...${pathMajor}/go.mod at revision ${rev}`);
    throw invalid(modPath, version, `missing ${pathPrefix}/go.mod at revision ${rev}`);
  }

  async function validatePseudoVersion(info: RevInfo, version: string): Promise<void> {
    const bad = (reason: string): ModgateError => invalid(modPath, version, reason);
    const rev = pseudoVersionRev(version);
    if (rev !== info.short) {
      if (rev.startsWith(info.short)) throw bad(`revision is longer than canonical (expected ${info.short})`);
      if (info.short.startsWith(rev)) throw bad(`revision is shorter than canonical (expected ${info.short})`);
      throw bad(`does not match short name of revision (expected ${info.short})`);
    }
    if (pseudoVersionTime(version).getTime() !== info.time.getTime()) {
      throw bad(`does not match version-control timestamp (expected ${formatPseudoVersionTime(info.time)})`);
    }
    const base = pseudoVersionBase(version.replace(/\+incompatible$/, ''));
    if (base === '') {
      if (pseudoMajor === '' && major(version) === 'v1') throw bad('major version without preceding tag must be v0, not v1');
      return;
    }
    for (const tag of info.tags) {
      if (tag.startsWith(tagPrefix) && tag.slice(tagPrefix.length) === base) {
        throw bad(`tag (${tag}) found on revision ${rev} is already canonical, so should not be replaced with a pseudo-version derived from that tag`);
      }
    }
    let lastTag = '';
    for (const t of (await repo.tags(tagPrefix + base)).list) {
      if (compare(t.name.slice(tagPrefix.length), base) === 0) {
        lastTag = t.name;
        if (await repo.descendsFrom(info.name, t.name)) return;
      }
    }
    if (lastTag === '') throw bad(`preceding tag (${base}) not found`);
    throw bad(`revision ${rev} is not a descendent of preceding tag (${lastTag})`);
  }

  async function convert(info: RevInfo, statVers: string): Promise<ModuleInfo> {
    const incompatibleOk = new Map<string, boolean>();
    const canUseIncompatible = async (v: string): Promise<boolean> => {
      if (codeDir !== '' || pathMajor !== '') return false;
      if (!incompatibleOk.has('')) incompatibleOk.set('', (await repo.readFile(info.name, 'go.mod', MAX_GO_MOD)) === undefined);
      if (!incompatibleOk.get('')) return false;
      if (v !== '' && !statVers.endsWith('+incompatible')) {
        const m = major(v);
        if (!incompatibleOk.has(m)) incompatibleOk.set(m, (await repo.readFile(info.name, `${m}/go.mod`, MAX_GO_MOD)) === undefined);
        if (!incompatibleOk.get(m)) return false;
      }
      return true;
    };

    const checkCanonical = async (v0: string): Promise<ModuleInfo> => {
      let v = v0;
      try {
        await findDir(v);
      } catch (err) {
        if (err instanceof ModgateError) throw new ModgateError('NOT_FOUND', err.message);
        throw err;
      }
      if (v === statVers.replace(/\+incompatible$/, '')) v = statVers;
      const base = v.replace(/\+incompatible$/, '');
      let errIncompatible: ModgateError | undefined;
      if (!matchPathMajor(base, pathMajor)) {
        if (await canUseIncompatible(base)) v = `${base}+incompatible`;
        else if (pathMajor !== '') errIncompatible = invalid(modPath, v, 'module path includes a major version suffix, so major version must match');
        else errIncompatible = invalid(modPath, v, `module contains a go.mod file, so module path must match major version ("${pathPrefix}/${major(v)}")`);
      } else if (v.endsWith('+incompatible')) {
        errIncompatible = invalid(modPath, v, `+incompatible suffix not allowed: major version ${major(v)} is compatible`);
      }
      if (statVers !== '' && statVers === canonicalVersion(statVers)) {
        const statBase = statVers.replace(/\+incompatible$/, '');
        if (statBase !== base) throw invalid(modPath, statVers, `resolves to version ${v} (${statBase} is not a tag)`);
      }
      if (errIncompatible) throw errIncompatible;
      let origin: Origin = { VCS: 'git', URL: repo.url, ...(codeDir === '' ? {} : { Subdir: codeDir }), Hash: info.name };
      if (isPseudoVersion(v) && (v !== statVers || !v.startsWith('v0.0.0-'))) {
        const prefix = tagPrefix + (pathMajor === '' ? '' : `${pathMajor.slice(1)}.`);
        origin = { ...origin, TagPrefix: prefix, TagSum: (await repo.tags(prefix)).tagSum };
      }
      if (info.ref !== undefined) origin = { ...origin, Ref: info.ref };
      return { Version: v, Time: formatGoTime(info.time), Origin: origin };
    };

    if (isPseudoVersion(statVers)) {
      await validatePseudoVersion(info, statVers);
      return checkCanonical(statVers);
    }
    const isRetracted = await retracted();
    const tagToVersion = (tag: string): { v: string; canonicalTag: boolean } => {
      if (!tag.startsWith(tagPrefix) || isPseudoVersion(tag)) return { v: '', canonicalTag: false };
      const trimmed = tag.slice(tagPrefix.length);
      const v = canonical(trimmed);
      if (v === '' || !trimmed.startsWith(v)) return { v: '', canonicalTag: false };
      return { v, canonicalTag: v === trimmed };
    };
    const direct = tagToVersion(info.version);
    if (direct.canonicalTag) {
      try {
        return await checkCanonical(direct.v);
      } catch {
        // fall through to the other tags, as the go command does
      }
    }
    let highestCanonical = '';
    let pseudoBase = '';
    for (const pathTag of info.tags) {
      const { v, canonicalTag } = tagToVersion(pathTag);
      if (statVers !== '' && compare(v, statVers) === 0) {
        if (canonicalTag) return checkCanonical(v);
        pseudoBase = v;
      }
      if (canonicalTag && compare(highestCanonical, v) < 0 && !isRetracted(v)) {
        if (matchPathMajor(v, pathMajor) || (await canUseIncompatible(v))) highestCanonical = v;
      }
    }
    if (highestCanonical !== '') return checkCanonical(highestCanonical);
    if (pseudoBase === '') {
      const allowedCache = new Map<string, boolean>();
      for (const t of (await repo.tags(tagPrefix)).list) {
        const { v } = tagToVersion(t.name);
        allowedCache.set(t.name, v !== '' && (matchPathMajor(v, pathMajor) || (await canUseIncompatible(v))) && !isRetracted(v));
      }
      const tag = await repo.recentTag(info.name, tagPrefix, (name) => allowedCache.get(name) === true);
      if (tag !== '') pseudoBase = tagToVersion(tag).v;
    }
    return checkCanonical(pseudoVersion(pseudoMajor, pseudoBase, info.time, info.short));
  }

  async function stat(rev: string): Promise<ModuleInfo> {
    if (rev === 'latest') return latest();
    let info: RevInfo;
    try {
      info = await repo.stat(revToRev(rev));
    } catch (err) {
      if (err instanceof UnknownRevisionError) throw new ModgateError('NOT_FOUND', `${modPath}@${rev}: invalid version: unknown revision ${rev}`);
      throw err;
    }
    return convert(info, rev);
  }

  async function latest(): Promise<ModuleInfo> {
    const refs = await repo.refs();
    if (!refs.has('HEAD')) throw new ModgateError('NOT_FOUND', `${modPath}: no commits`);
    const info = await repo.stat(refs.get('HEAD')!);
    const answer = await convert({ ...info, ref: 'HEAD' }, '');
    return { ...answer, Origin: { ...answer.Origin, Ref: 'HEAD', Hash: info.name } };
  }

  async function checkedCanonical(version: string): Promise<void> {
    if (version !== canonicalVersion(version)) throw invalid(modPath, version, 'version is not canonical');
    if (isPseudoVersion(version)) await stat(version);
  }

  async function goMod(version: string): Promise<Buffer> {
    await checkedCanonical(version);
    const { rev, dir, gomod } = await findDir(version);
    if (gomod) return gomod;
    return (await fileAt(rev, join(dir, 'go.mod'))) ?? Buffer.from(`module ${modPath}\n`);
  }

  async function source(version: string): Promise<{ hash: string; dir: string }> {
    await checkedCanonical(version);
    const { rev, dir } = await findDir(version);
    return { hash: (await repo.stat(rev)).name, dir };
  }

  return { modPath, versions, stat, latest, goMod, source };
}
