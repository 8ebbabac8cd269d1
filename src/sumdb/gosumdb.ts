// Parses a GOSUMDB setting the way the go command does (modfetch/sumdb.go dbDial):
// `off`, a known database name, a verifier key, or `key url`.

import { ModgateError } from '../errors/modgate-error.js';
import { parseVerifierKey } from './note.js';

/** The verifier key of Go's default checksum database. */
export const SUM_GOLANG_ORG_KEY = 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8';

const KNOWN_GOSUMDB: Readonly<Record<string, string>> = { 'sum.golang.org': SUM_GOLANG_ORG_KEY };

export interface GosumdbConfig {
  /** The database name (the verifier key's name), e.g. `sum.golang.org`. */
  readonly name: string;
  /** The full verifier key. */
  readonly vkey: string;
  /** Where to reach the database: the URL given in GOSUMDB, else `https://<name>`. */
  readonly url: string;
  /** True when the URL was given explicitly (Go then bypasses GOPROXY for the database). */
  readonly explicitUrl: boolean;
}

const invalid = (message: string): never => {
  throw new ModgateError('CONFIG_INVALID', message, { hint: 'GOSUMDB is "off", a database name, a verifier key, or "key url".' });
};

/**
 * Parses GOSUMDB. Empty means Go's default (sum.golang.org); `off` returns 'off';
 * `sum.golang.google.cn` is sum.golang.org reached at https://sum.golang.google.cn.
 * Throws CONFIG_INVALID for malformed settings.
 */
export function parseGosumdb(value: string): GosumdbConfig | 'off' {
  let setting = value.trim();
  if (setting === '') setting = 'sum.golang.org';
  if (setting === 'off') return 'off';
  if (setting === 'sum.golang.google.cn') setting = 'sum.golang.org https://sum.golang.google.cn';
  const fields = setting.split(/\s+/).filter((f) => f !== '');
  if (fields.length > 2) invalid('invalid GOSUMDB: too many fields');
  const vkey = KNOWN_GOSUMDB[fields[0]!] ?? fields[0]!;
  let name: string;
  try {
    name = parseVerifierKey(vkey).name;
  } catch (err) {
    return invalid(`invalid GOSUMDB: ${err instanceof Error ? err.message : String(err)}`);
  }
  // No funny business in the database name: host[:port][/path], nothing Go's URL parser would rewrite.
  if (!/^[A-Za-z0-9.-]+(:[0-9]+)?(\/[A-Za-z0-9._~!$&'()*,;=:@/-]*)?$/.test(name) || name.endsWith('/')) {
    invalid(`invalid sumdb name (must be host[/path]): ${name}`);
  }
  const explicit = fields[1];
  if (explicit !== undefined) {
    let u: URL;
    try {
      u = new URL(explicit);
    } catch {
      return invalid(`invalid GOSUMDB URL: ${explicit}`);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:' && u.protocol !== 'file:') invalid(`invalid GOSUMDB URL scheme: ${explicit}`);
    return { name, vkey, url: explicit.replace(/\/+$/, ''), explicitUrl: true };
  }
  return { name, vkey, url: `https://${name}`, explicitUrl: false };
}

/**
 * Parses a list of GOSUMDB settings (comma-separated; modgate may verify against several
 * databases): 'off', or the databases. Empty means Go's default. Throws CONFIG_INVALID.
 */
export function parseSumdbList(setting: string): GosumdbConfig[] | 'off' {
  const parts = setting.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const parsed = parts.length === 0 ? [parseGosumdb('')] : parts.map(parseGosumdb);
  if (parsed.includes('off')) {
    if (parsed.length > 1) throw new ModgateError('CONFIG_INVALID', 'sumdb: "off" cannot be combined with databases');
    return 'off';
  }
  return parsed as GosumdbConfig[];
}
