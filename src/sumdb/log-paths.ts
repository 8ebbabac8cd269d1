// The request paths of a checksum database (`latest`, `lookup/<m>@<v>`, `tile/...`, `supported`)
// answered from modgate's own log; shared by the HTTP routes and tests. A lookup of a version not
// yet recorded asks `admit` (fetch, verify, record) and then answers.

import { ModgateError } from '../errors/modgate-error.js';
import { unescapePath, unescapeVersion } from '../module/escape.js';
import type { LogServer } from './log-server.js';

export interface LogPathOptions {
  readonly server: LogServer;
  /** Fetches, verifies and records path@version; resolves once the record is published. */
  readonly admit?: (path: string, version: string) => Promise<void>;
}

/** A parsed `lookup/<escaped path>@<escaped version>`; throws INVALID_* for a malformed one. */
export function parseLookupPath(rest: string): { path: string; version: string } {
  const at = rest.lastIndexOf('@');
  if (at <= 0) throw new ModgateError('INVALID_REQUEST', `malformed lookup ${JSON.stringify(rest)}: want lookup/MODULE@VERSION`);
  return { path: unescapePath(rest.slice(0, at)), version: unescapeVersion(rest.slice(at + 1)) };
}

const notFound = (what: string, hint?: string): never => {
  throw new ModgateError('NOT_FOUND', `not found: ${what}`, hint === undefined ? {} : { hint });
};

/** The body for a database-relative path; throws NOT_FOUND / INVALID_REQUEST / SUMDB_ERROR. */
export async function answerLogPath(opts: LogPathOptions, rel: string): Promise<Buffer> {
  const { server } = opts;
  if (rel === 'supported') return Buffer.alloc(0);
  if (rel === 'latest') return server.latest();
  if (rel.startsWith('lookup/')) {
    const { path, version } = parseLookupPath(rel.slice('lookup/'.length));
    const found = await server.lookup(path, version);
    if (found) return found;
    if (!opts.admit) return notFound(`${path}@${version} is not in checksum database ${server.name}`);
    await opts.admit(path, version);
    return (await server.lookup(path, version)) ?? notFound(`${path}@${version} was admitted but its record is not published yet`);
  }
  if (rel.startsWith('tile/')) {
    let data: Buffer | undefined;
    try {
      data = await server.tile(rel);
    } catch (err) {
      if (err instanceof ModgateError && err.code === 'SUMDB_ERROR' && err.message.startsWith('malformed tile path')) {
        throw new ModgateError('INVALID_REQUEST', err.message, { hint: 'tiles are tile/8/L/NNN[.p/W] or tile/8/data/NNN[.p/W]' });
      }
      throw err;
    }
    return data ?? notFound(`${rel} is beyond the latest tree of ${server.name}`);
  }
  return notFound(`${rel} (a checksum database serves latest, lookup/MODULE@VERSION, tile/... and supported)`);
}
