// Module versions as the go command checks them: canonical form with "+incompatible" kept
// (module.CanonicalVersion), and the (path, version) pair check (module.Check and stricter).

import { ModgateError } from '../errors/modgate-error.js';
import { checkPath, pathMajorError, splitPathVersion } from './check-path.js';
import { build, canonical, isValid, major } from './semver.js';

const INCOMPATIBLE = '+incompatible';

/**
 * The canonical form of a module version: like semver canonical ("v1.2" → "v1.2.0", build
 * metadata dropped), except that "+incompatible" is kept. '' if v is not a valid version.
 */
export function canonicalVersion(v: string): string {
  const cv = canonical(v);
  if (cv !== '' && build(v) === INCOMPATIBLE) return cv + INCOMPATIBLE;
  return cv;
}

/** Reports whether v is a valid version already in canonical form (see canonicalVersion). */
export function isCanonical(v: string): boolean {
  return v !== '' && canonicalVersion(v) === v;
}

function invalidVersion(path: string, version: string, reason: string): ModgateError {
  return new ModgateError('INVALID_VERSION', `${path}@${version}: invalid version: ${reason}`, {
    details: { path, version, reason },
  });
}

/**
 * Exactly Go's module.Check: path is a valid module path, version is a valid semantic version
 * (not necessarily canonical), and its major version fits the path's major suffix.
 * Throws ModgateError INVALID_PATH or INVALID_VERSION
 * (`github.com/x/y@v2.0.0: invalid version: should be v0 or v1, not v2`).
 */
export function checkModule(path: string, version: string): void {
  checkPath(path);
  if (!isValid(version)) throw invalidVersion(path, version, 'not a semantic version');
  const pathMajor = splitPathVersion(path)?.pathMajor ?? '';
  const reason = pathMajorError(version, pathMajor);
  if (reason !== undefined) throw invalidVersion(path, version, reason);
}

/**
 * The check a proxy applies to a requested module version: everything checkModule checks, plus
 * the version must be canonical (keeping "+incompatible"), and "+incompatible" is only allowed
 * for major versions ≥ v2 of a path without a major suffix (as the go command resolves them).
 * Throws ModgateError INVALID_PATH or INVALID_VERSION.
 */
export function checkVersion(path: string, version: string): void {
  checkModule(path, version);
  const cv = canonicalVersion(version);
  if (cv !== version) {
    throw invalidVersion(path, version, `not a canonical version (use ${cv})`);
  }
  if (build(version) === INCOMPATIBLE) {
    const m = major(version);
    if (m === 'v0' || m === 'v1') {
      throw invalidVersion(path, version, `+incompatible suffix not allowed: major version ${m} is compatible`);
    }
    if ((splitPathVersion(path)?.pathMajor ?? '') !== '') {
      throw invalidVersion(
        path,
        version,
        '+incompatible suffix not allowed: module path includes a major version suffix, so major version must match',
      );
    }
  }
}
