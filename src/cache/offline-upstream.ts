// The upstream of an offline server (`--upstream off`): answers `@v/list` and `@latest` from the
// versions in storage (retracted versions never become @latest, as with the go command), and
// refuses everything else with a not-found that says the server is offline and what to export.
import { ModgateError } from '../errors/modgate-error.js';
import { escapePath, unescapeVersion } from '../module/escape.js';
import { parseGoMod } from '../module/go-mod.js';
import { isPseudoVersion } from '../module/pseudo.js';
import { sortVersions } from '../module/semver.js';
import { newestVersion, retractionOf } from '../module/retractions.js';
import { isCanonical } from '../module/version.js';
import type { Storage } from '../storage/storage.js';
import type { Upstream } from '../upstream/upstream.js';
import { listKey, versionKey } from './cache-keys.js';

export const OFFLINE_UPSTREAM_NAME = 'offline';

/** A not-found whose message (shown by the go command) says the server is offline and what to export. */
const offline = (what: string, exportArg: string): ModgateError =>
  new ModgateError('NOT_FOUND', `modgate is offline (--upstream off) and has no ${what}\n` +
    `export it on a connected modgate: modgate export ${exportArg} -o bundle.tgz --proxy URL\n` +
    'then import the bundle here: modgate import bundle.tgz (or POST it to /admin/import)');

/** The stored canonical versions of a module that have a .info and a .mod, in semver order. */
async function storedVersions(storage: Storage, path: string): Promise<string[]> {
  const prefix = `${escapePath(path)}/@v/`;
  const infos = new Set<string>();
  const mods = new Set<string>();
  for await (const key of storage.list(prefix)) {
    const rest = key.slice(prefix.length);
    if (rest.includes('/')) continue;
    const m = /^(.+)\.(info|mod)$/.exec(rest);
    if (!m) continue;
    let v: string;
    try {
      v = unescapeVersion(m[1]!);
    } catch {
      continue;
    }
    if (!isCanonical(v)) continue;
    (m[2] === 'info' ? infos : mods).add(v);
  }
  return sortVersions([...infos].filter((v) => mods.has(v)));
}

/** Retraction intervals of the module's highest stored version's go.mod (as the go command reads them). */
async function retractions(storage: Storage, path: string, versions: readonly string[]): Promise<ReadonlyArray<{ low: string; high: string }>> {
  const newest = newestVersion(versions);
  if (newest === undefined) return [];
  const mod = await storage.get(versionKey(path, newest, 'mod'));
  if (!mod) return [];
  try {
    return parseGoMod(mod.toString('utf8')).retract;
  } catch {
    return [];
  }
}

/** The version @latest names: the highest release, else prerelease, else pseudo-version, not retracted. */
export function pickLatest(versions: readonly string[], retracted: ReadonlyArray<{ low: string; high: string }>): string | undefined {
  const ok = versions.filter((v) => retractionOf(retracted, v) === undefined);
  // Everything retracted: the go command still resolves @latest to the highest version.
  return newestVersion(ok) ?? newestVersion(versions);
}

/** An Upstream over storage for offline operation. */
export function createOfflineUpstream(storage: Storage): Upstream {
  return {
    name: OFFLINE_UPSTREAM_NAME,
    async list(path) {
      const stored = await storedVersions(storage, path);
      if (stored.length === 0) {
        // No version with both .info and .mod (the go command fetched only go.mod files of this
        // module): the list stored earlier is the best answer offline; refusing it would fail its
        // refresh on every request once its TTL is over.
        const kept = await storage.get(listKey(path));
        if (kept) return kept;
        throw offline(`version of ${path}`, `${path}@VERSION`);
      }
      // Only pseudo-versions stored: an empty list, as a proxy answers for an untagged module (the
      // go command then asks @latest); a not-found would fail the refresh of the stored list each time.
      return Buffer.from(stored.filter((v) => !isPseudoVersion(v)).map((v) => `${v}\n`).join(''));
    },
    async latest(path) {
      const versions = await storedVersions(storage, path);
      const v = pickLatest(versions, await retractions(storage, path, versions));
      const info = v === undefined ? undefined : await storage.get(versionKey(path, v, 'info'));
      if (!info) throw offline(`version of ${path}`, `${path}@VERSION`);
      return info;
    },
    async info(path, version) {
      if (!isCanonical(version)) {
        throw new ModgateError('NOT_FOUND', `modgate is offline (--upstream off) and cannot resolve the query ${path}@${version}\n` +
          `ask for a version it has (go list -m -versions ${path}), or export the version on a connected modgate and import it here`);
      }
      throw offline(`${path}@${version}`, `${path}@${version}`);
    },
    async mod(path, version) {
      throw offline(`${path}@${version}`, `${path}@${version}`);
    },
    async zip(path, version) {
      throw offline(`${path}@${version}`, `${path}@${version}`);
    },
  };
}
