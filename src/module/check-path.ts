// Module, import and file path validation exactly as Go's module.CheckPath, CheckImportPath and
// CheckFilePath, plus major-version suffixes (SplitPathVersion, CheckPathMajor).

import { ModgateError } from '../errors/modgate-error.js';
import { goQuote, goQuoteRune } from './go-quote.js';
import { build, major } from './semver.js';

/** Which rule set a path is checked against. */
export type PathKind = 'module' | 'import' | 'file';

/** The part of a module path naming its major version: "" | "/vN" | ".vN" | ".vN-unstable". */
export interface PathVersionSplit {
  readonly prefix: string;
  readonly pathMajor: string;
}

const BAD_WINDOWS_NAMES = new Set(['CON', 'PRN', 'AUX', 'NUL', ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => [`COM${n}`, `LPT${n}`])]);

const FILE_NAME_PUNCT = "!#$%&()+,-.=@[]^_{}~ ";

function isAsciiAlnum(c: string): boolean {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

function charOK(c: string, kind: PathKind): boolean {
  if (kind === 'file') {
    if (c.length === 1 && c < '\x80') return isAsciiAlnum(c) || FILE_NAME_PUNCT.includes(c);
    return /^\p{L}$/u.test(c);
  }
  if (isAsciiAlnum(c) || c === '-' || c === '.' || c === '_' || c === '~') return true;
  return kind === 'import' && c === '+';
}

/** True when s holds a lone surrogate, which is how ill-formed text shows up in a JS string. */
function hasLoneSurrogate(s: string): boolean {
  return /\p{Cs}/u.test(s);
}

/**
 * Checks one path element (or a version, with kind 'file'); returns the reason it is invalid,
 * in Go's words, or undefined when it is fine.
 */
export function pathElementError(elem: string, kind: PathKind): string | undefined {
  if (elem === '') return 'empty path element';
  if (/^\.+$/.test(elem)) return `invalid path element ${goQuote(elem)}`;
  if (elem[0] === '.' && kind === 'module') return 'leading dot in path element';
  if (elem.endsWith('.')) return 'trailing dot in path element';
  for (const c of elem) {
    if (!charOK(c, kind)) return `invalid char ${goQuoteRune(c)}`;
  }
  // Windows disallows some names, with or without an extension.
  const dot = elem.indexOf('.');
  const short = dot >= 0 ? elem.slice(0, dot) : elem;
  if (BAD_WINDOWS_NAMES.has(short.toUpperCase()) && /^[A-Za-z0-9]+$/.test(short)) {
    return `${goQuote(short)} disallowed as path element component on Windows`;
  }
  if (kind === 'file') return undefined;
  // "name~1"-style suffixes look like Windows short names and could collide.
  const tilde = short.lastIndexOf('~');
  if (tilde >= 0 && tilde < short.length - 1 && /^[0-9]+$/.test(short.slice(tilde + 1))) {
    return 'trailing tilde and digits in path element';
  }
  return undefined;
}

/** The reason a path fails the rules shared by all kinds, or undefined. */
function commonPathError(path: string, kind: PathKind): string | undefined {
  if (hasLoneSurrogate(path)) return 'invalid UTF-8';
  if (path === '') return 'empty string';
  if (path[0] === '-' && kind !== 'file') return 'leading dash';
  if (path.includes('//')) return 'double slash';
  if (path.endsWith('/')) return 'trailing slash';
  for (const elem of path.split('/')) {
    const reason = pathElementError(elem, kind);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

/** The reason path is not a valid module path (in Go's words), or undefined if it is valid. */
export function modulePathError(path: string): string | undefined {
  const common = commonPathError(path, 'module');
  if (common !== undefined) return common;
  const slash = path.indexOf('/');
  const first = slash < 0 ? path : path.slice(0, slash);
  if (first === '') return 'leading slash';
  if (!first.includes('.')) return 'missing dot in first path element';
  if (path[0] === '-') return 'leading dash in first path element';
  for (const c of first) {
    if (!(c === '-' || c === '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) {
      return `invalid char ${goQuoteRune(c)} in first path element`;
    }
  }
  if (splitPathVersion(path) === undefined) return 'invalid version';
  return undefined;
}

function invalidPath(kind: PathKind, path: string, reason: string): ModgateError {
  return new ModgateError('INVALID_PATH', `malformed ${kind} path ${goQuote(path)}: ${reason}`, {
    details: { kind, path, reason },
  });
}

/**
 * Checks that path is a valid module path (Go's module.CheckPath): ASCII letters, digits and
 * `-._~`; the first element a lower-case host name with a dot; a well-formed major suffix.
 * Throws ModgateError('INVALID_PATH') saying why not.
 */
export function checkPath(path: string): void {
  const reason = modulePathError(path);
  if (reason !== undefined) throw invalidPath('module', path, reason);
}

/** Reports whether path is a valid module path (checkPath without the throw). */
export function isValidModulePath(path: string): boolean {
  return modulePathError(path) === undefined;
}

/**
 * Checks that path is a valid import path (Go's module.CheckImportPath): like a module path
 * element by element, also allowing `+` and leading dots, with no host-name rules.
 */
export function checkImportPath(path: string): void {
  const reason = commonPathError(path, 'import');
  if (reason !== undefined) throw invalidPath('import', path, reason);
}

/**
 * Checks that path is a valid file path inside a module zip (Go's module.CheckFilePath): also
 * allows space, `!#$%&()+,=@[]^{}` and non-ASCII letters; leading dashes and dots allowed.
 */
export function checkFilePath(path: string): void {
  const reason = commonPathError(path, 'file');
  if (reason !== undefined) throw invalidPath('file', path, reason);
}

function isAsciiDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function splitGopkgIn(path: string): PathVersionSplit | undefined {
  let i = path.length;
  if (path.endsWith('-unstable')) i -= '-unstable'.length;
  while (i > 0 && isAsciiDigit(path[i - 1])) i--;
  if (i <= 1 || path[i - 1] !== 'v' || path[i - 2] !== '.') return undefined;
  const pathMajor = path.slice(i - 2);
  if (pathMajor.length <= 2 || (pathMajor[2] === '0' && pathMajor !== '.v0')) return undefined;
  return { prefix: path.slice(0, i - 2), pathMajor };
}

/**
 * Splits a module path into its prefix and major-version suffix (Go's SplitPathVersion):
 * "x.y/z/v2" → {prefix "x.y/z", pathMajor "/v2"}; "gopkg.in/yaml.v2" → {"gopkg.in/yaml", ".v2"};
 * "x.y/z" → {"x.y/z", ""}. undefined when the suffix is malformed ("/v0", "/v1", "/v2.0", "/v02",
 * or a gopkg.in path without ".vN").
 */
export function splitPathVersion(path: string): PathVersionSplit | undefined {
  if (path.startsWith('gopkg.in/')) return splitGopkgIn(path);
  let i = path.length;
  let dot = false;
  while (i > 0 && (isAsciiDigit(path[i - 1]) || path[i - 1] === '.')) {
    if (path[i - 1] === '.') dot = true;
    i--;
  }
  if (i <= 1 || i === path.length || path[i - 1] !== 'v' || path[i - 2] !== '/') {
    return { prefix: path, pathMajor: '' };
  }
  const pathMajor = path.slice(i - 2);
  if (dot || pathMajor.length <= 2 || pathMajor[2] === '0' || pathMajor === '/v1') return undefined;
  return { prefix: path.slice(0, i - 2), pathMajor };
}

/** The reason version v does not fit pathMajor (Go's wording), or undefined if it does. */
export function pathMajorError(v: string, pathMajor: string): string | undefined {
  let pm = pathMajor;
  if (pm.startsWith('.v') && pm.endsWith('-unstable')) pm = pm.slice(0, -'-unstable'.length);
  // Early vgo wrote v0 pseudo-versions for gopkg.in .v1 paths; they stay acceptable.
  if (v.startsWith('v0.0.0-') && pm === '.v1') return undefined;
  const m = major(v);
  let want: string;
  if (pm === '') {
    if (m === 'v0' || m === 'v1' || build(v) === '+incompatible') return undefined;
    want = 'v0 or v1';
  } else if (pm[0] === '/' || pm[0] === '.') {
    if (m === pm.slice(1)) return undefined;
    want = pm.slice(1);
  } else {
    want = pm;
  }
  return `should be ${want}, not ${m}`;
}

/**
 * Checks that version v is allowed for a module whose path has the major suffix pathMajor
 * (Go's CheckPathMajor): no suffix → v0/v1 or "+incompatible"; "/vN" or ".vN" → major vN.
 * Throws ModgateError('INVALID_VERSION'): `version "v2.0.0" invalid: should be v0 or v1, not v2`.
 */
export function checkPathMajor(v: string, pathMajor: string): void {
  const reason = pathMajorError(v, pathMajor);
  if (reason !== undefined) {
    throw new ModgateError('INVALID_VERSION', `version ${goQuote(v)} invalid: ${reason}`, {
      details: { version: v, pathMajor, reason },
    });
  }
}

/** Reports whether version v is allowed for the major suffix pathMajor (see checkPathMajor). */
export function matchPathMajor(v: string, pathMajor: string): boolean {
  return pathMajorError(v, pathMajor) === undefined;
}

/**
 * The major version a path suffix requires, without its separator ("/v2" → "v2",
 * ".v1-unstable" → "v1", "" → ""). Throws if pathMajor is not a suffix splitPathVersion returns.
 */
export function pathMajorPrefix(pathMajor: string): string {
  if (pathMajor === '') return '';
  if (pathMajor[0] !== '/' && pathMajor[0] !== '.') {
    throw new ModgateError('INVALID_PATH', `major version suffix ${goQuote(pathMajor)} lacks a separator`);
  }
  let pm = pathMajor;
  if (pm.startsWith('.v') && pm.endsWith('-unstable')) pm = pm.slice(0, -'-unstable'.length);
  const m = pm.slice(1);
  if (m !== major(m)) {
    throw new ModgateError('INVALID_PATH', `major version suffix ${goQuote(pathMajor)} is not a valid major version`);
  }
  return m;
}
