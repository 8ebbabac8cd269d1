// Case-escaping of module paths and versions for GOPROXY URLs and file names (Go's
// module.EscapePath etc.): each upper-case ASCII letter becomes "!" + its lower-case form.

import { ModgateError } from '../errors/modgate-error.js';
import { checkPath, modulePathError, pathElementError } from './check-path.js';
import { goQuote } from './go-quote.js';

function hasNonAscii(s: string): boolean {
  return /[^\x00-\x7f]/.test(s);
}

function escapeString(s: string): string {
  return s.replace(/[A-Z]/g, (c) => '!' + c.toLowerCase());
}

/** Undoes escapeString; undefined for non-ASCII, upper case, "!" not before a-z, trailing "!". */
function unescapeString(escaped: string): string | undefined {
  let out = '';
  let bang = false;
  for (const c of escaped) {
    if (c > '\x7f') return undefined;
    if (bang) {
      bang = false;
      if (c < 'a' || c > 'z') return undefined;
      out += c.toUpperCase();
    } else if (c === '!') {
      bang = true;
    } else if (c >= 'A' && c <= 'Z') {
      return undefined;
    } else {
      out += c;
    }
  }
  return bang ? undefined : out;
}

/**
 * The escaped form of a module path ("github.com/Azure/x" → "github.com/!azure/x").
 * Throws ModgateError('INVALID_PATH') if path is not a valid module path.
 */
export function escapePath(path: string): string {
  checkPath(path);
  return escapeString(path);
}

/**
 * The escaped form of a version ("v1.0.0-RC" → "v1.0.0-!r!c"). Any string that is a valid file
 * name element without "!" can be escaped (queries like branch names, too). Throws
 * ModgateError('INVALID_VERSION'): `version "x" invalid: disallowed version string`.
 */
export function escapeVersion(v: string): string {
  // Go's escaper refuses non-ASCII letters too, which the file-name rules would let through.
  if (pathElementError(v, 'file') !== undefined || v.includes('!') || hasNonAscii(v)) {
    throw new ModgateError('INVALID_VERSION', `version ${goQuote(v)} invalid: disallowed version string`, {
      details: { version: v },
    });
  }
  return escapeString(v);
}

/**
 * The module path an escaped path stands for ("github.com/!azure/x" → "github.com/Azure/x").
 * Decode percent-escapes first. Throws ModgateError('INVALID_PATH') for a malformed escape
 * (non-ASCII, upper case, "!" not followed by a-z, trailing "!") or an invalid module path.
 */
export function unescapePath(escaped: string): string {
  const path = unescapeString(escaped);
  if (path === undefined) {
    throw new ModgateError('INVALID_PATH', `invalid escaped module path ${goQuote(escaped)}`, {
      hint: 'upper-case letters in module paths are written as "!" followed by the lower-case letter',
    });
  }
  const reason = modulePathError(path);
  if (reason !== undefined) {
    throw new ModgateError(
      'INVALID_PATH',
      `invalid escaped module path ${goQuote(escaped)}: malformed module path ${goQuote(path)}: ${reason}`,
    );
  }
  return path;
}

/**
 * The version an escaped version stands for ("v1.0.0-!r!c" → "v1.0.0-RC"); the result is only
 * checked to be a valid file name element, not a semantic version (it may be a query).
 * Throws ModgateError('INVALID_VERSION') for a malformed escape or element.
 */
export function unescapeVersion(escaped: string): string {
  const v = unescapeString(escaped);
  if (v === undefined) {
    throw new ModgateError('INVALID_VERSION', `invalid escaped version ${goQuote(escaped)}`, {
      hint: 'upper-case letters in versions are written as "!" followed by the lower-case letter',
    });
  }
  const reason = pathElementError(v, 'file');
  if (reason !== undefined) {
    throw new ModgateError('INVALID_VERSION', `invalid escaped version ${goQuote(v)}: ${reason}`);
  }
  return v;
}
