// Parses a GOPROXY request path into what is asked for: percent-decoding per segment, then
// `!`-unescaping and validation of the module path and version by Go's rules.
import { ModgateError } from '../errors/modgate-error.js';
import { unescapePath, unescapeVersion } from '../module/escape.js';
import { checkVersion, isCanonical } from '../module/version.js';

export type ProxyRequest =
  | { readonly kind: 'list' | 'latest'; readonly path: string }
  | { readonly kind: 'info'; readonly path: string; readonly version: string; readonly canonical: boolean }
  | { readonly kind: 'mod'; readonly path: string; readonly version: string }
  | { readonly kind: 'zip'; readonly path: string; readonly version: string };

function decodeSegment(seg: string): string {
  try {
    return decodeURIComponent(seg);
  } catch {
    throw new ModgateError('INVALID_REQUEST', `malformed percent-encoding in ${JSON.stringify(seg)}`);
  }
}

/** Longest escaped path element or version accepted (file systems allow 255 bytes per name). */
const MAX_ELEMENT = 200;
const MAX_PATH = 1024;

/** Version queries (branch names, commit hashes, version prefixes) as the go command sends them. */
const QUERY_RE = /^[A-Za-z0-9_+~=^:@,-][A-Za-z0-9._+~=^:@,/-]*$/;

/**
 * Parses `<module>/@v/list`, `<module>/@v/<version>.{info,mod,zip}` or `<module>/@latest`
 * (the path after any prefix, without the leading slash and without the query string).
 * Returns undefined when the path is not a GOPROXY endpoint at all.
 */
export function parseProxyPath(rawPath: string): ProxyRequest | undefined {
  const rawSegs = rawPath.split('/');
  const segs = rawSegs.map(decodeSegment);
  if (segs.some((s) => s.includes('\0') || s.includes('\\'))) {
    throw new ModgateError('INVALID_REQUEST', 'invalid character in request path');
  }
  if (segs.some((s, i) => s.includes('/') && i !== segs.length - 1)) {
    throw new ModgateError('INVALID_REQUEST', 'encoded "/" is not allowed inside a module path element');
  }
  const last = segs.at(-1);
  if (segs.length >= 2 && last === '@latest') {
    return { kind: 'latest', path: modulePath(segs.slice(0, -1)) };
  }
  if (segs.length < 3 || segs.at(-2) !== '@v') return undefined;
  const path = modulePath(segs.slice(0, -2));
  const file = last ?? '';
  if (file === 'list') return { kind: 'list', path };
  const m = /^(.+)\.(info|mod|zip)$/.exec(file);
  if (!m) {
    throw new ModgateError('INVALID_REQUEST', `${path}: unknown file ${JSON.stringify(file)} (expected list, <version>.info, .mod or .zip)`);
  }
  const ext = m[2] as 'info' | 'mod' | 'zip';
  if (m[1]!.length > MAX_ELEMENT) {
    throw new ModgateError('INVALID_VERSION', `${path}: invalid version: longer than ${MAX_ELEMENT} characters`);
  }
  const version = unescapeVersion(m[1]!);
  if (ext === 'info' && !canonicalFor(path, version)) {
    if (!QUERY_RE.test(version) || version.includes('..') || version.length > 256) {
      throw new ModgateError('INVALID_VERSION', `${path}@${version}: invalid version query`);
    }
    return { kind: 'info', path, version, canonical: false };
  }
  checkVersion(path, version);
  return ext === 'info' ? { kind: 'info', path, version, canonical: true } : { kind: ext, path, version };
}

function modulePath(segs: string[]): string {
  const joined = segs.join('/');
  if (joined.length > MAX_PATH || segs.some((s) => s.length > MAX_ELEMENT)) {
    throw new ModgateError('INVALID_PATH', `module path is too long (at most ${MAX_PATH} characters, ${MAX_ELEMENT} per element)`);
  }
  return unescapePath(joined);
}

function canonicalFor(path: string, version: string): boolean {
  if (!isCanonical(version)) return false;
  try {
    checkVersion(path, version);
    return true;
  } catch {
    return false;
  }
}
