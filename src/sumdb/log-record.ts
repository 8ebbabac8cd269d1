// The record text of one module version in modgate's own log, exactly as sum.golang.org records
// look: `<path> <version> h1:…\n<path> <version>/go.mod h1:…\n`.

import { ModgateError } from '../errors/modgate-error.js';
import { escapePath, escapeVersion } from '../module/escape.js';

/** The hashes recorded for a module version. */
export interface RecordHashes {
  readonly zipHash: string;
  readonly modHash: string;
}

const H1 = /^h1:[A-Za-z0-9+/]{43}=$/;

/** The record text of path@version; throws INVALID_REQUEST for hashes that are not h1. */
export function formatGoSumRecord(path: string, version: string, h: RecordHashes): Buffer {
  if (!H1.test(h.zipHash) || !H1.test(h.modHash)) {
    throw new ModgateError('INVALID_REQUEST', `${path}@${version}: record hashes must be h1 hashes`);
  }
  return Buffer.from(`${path} ${version} ${h.zipHash}\n${path} ${version}/go.mod ${h.modHash}\n`);
}

/** The hashes in a record text of path@version, or undefined when it does not hold both lines. */
export function parseGoSumRecord(path: string, version: string, text: Buffer): RecordHashes | undefined {
  let zipHash: string | undefined;
  let modHash: string | undefined;
  for (const line of text.toString('utf8').split('\n')) {
    const f = line.split(' ');
    if (f.length !== 3 || f[0] !== path) continue;
    if (f[1] === version) zipHash ??= f[2];
    else if (f[1] === `${version}/go.mod`) modHash ??= f[2];
  }
  return zipHash !== undefined && modHash !== undefined ? { zipHash, modHash } : undefined;
}

/** `<escaped path>@<escaped version>`, the lookup and index name of a module version. */
export function escapedModuleVersion(path: string, version: string): string {
  return `${escapePath(path)}@${escapeVersion(version)}`;
}
