// The checksum database proxy: /sumdb/<name>/supported, /lookup/<m>@<v>, /tile/..., /latest for
// configured databases, served from modgate's verified cache (so clients behind a firewall keep
// GOSUMDB on). Lookups of paths matching the private/nosumdb patterns are never forwarded; a lookup
// of a module the caller may not read is refused (403) like the module routes.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ModgateError } from '../errors/modgate-error.js';
import { unescapePath, unescapeVersion } from '../module/escape.js';
import { matchPrefixPatterns } from '../module/patterns.js';
import { checkVersion } from '../module/version.js';
import { parseTilePath } from '../sumdb/tlog-tile.js';
import type { SumdbHandle } from '../cache/verifying-gate.js';
import type { AccessPolicy } from './access-policy.js';

export interface SumdbRoutesOptions {
  readonly pathPrefix: string;
  readonly databases: readonly SumdbHandle[];
  readonly nosumdb: string;
  /** Module permissions of the caller (the module routes' check); default: every module. */
  readonly access?: AccessPolicy;
}

/** A request under /sumdb/: the database it names and what it asks of it. */
interface SumdbTarget {
  readonly db: SumdbHandle;
  /** `supported`, `latest`, `lookup/...` or `tile/...`. */
  readonly rest: string;
}

export function sumdbRoutes(opts: SumdbRoutesOptions) {
  // Database names may contain `/` (host[/path], e.g. localhost.localdev/sumdb): the go command
  // asks <proxy>/sumdb/<name>/supported, .../lookup/..., .../tile/..., so a request is matched
  // against the configured names, longest first.
  const names = [...opts.databases].sort((a, b) => b.name.length - a.name.length);
  const targetOf = (sub: string): SumdbTarget => {
    const db = names.find((d) => sub.startsWith(`${d.name}/`));
    if (!db) {
      throw new ModgateError('NOT_FOUND', `no checksum database proxied here matches /sumdb/${sub.slice(0, 200)}`, {
        hint: `proxied: ${names.map((d) => d.name).join(', ') || 'none'}`,
      });
    }
    return { db, rest: sub.slice(db.name.length + 1) };
  };

  return (app: FastifyInstance): void => {
    app.get<{ Params: { '*': string } }>(`${opts.pathPrefix}/sumdb/*`, async (req, reply) => {
      req.flow.kind = 'sumdb';
      const { db, rest } = targetOf(req.params['*']);
      const text = (body: string | Buffer, cache: string): FastifyReply => reply.header('content-type', 'text/plain; charset=utf-8').header('cache-control', cache).send(body);
      if (rest === 'supported') return text('', 'no-cache');
      if (rest === 'latest') return text(await db.client.latest(), 'no-cache');
      if (rest.startsWith('lookup/')) {
        const { path, version } = parseLookup(rest.slice('lookup/'.length));
        req.flow.module = path;
        req.flow.version = version;
        opts.access?.checkModule(req.identity, path);
        if (matchPrefixPatterns(opts.nosumdb, path)) {
          throw new ModgateError('NOT_FOUND', `${path} is private here: its lookups are not forwarded to ${db.name}`, {
            hint: 'set GONOSUMDB/GOPRIVATE for this path on the client',
          });
        }
        return text(await db.client.rawLookup(path, version), 'public, max-age=3600');
      }
      if (rest.startsWith('tile/')) {
        const body = await db.client.tile(checkedTilePath(rest));
        return reply
          .header('content-type', 'application/octet-stream')
          .header('cache-control', rest.includes('.p/') ? 'public, max-age=60' : 'public, max-age=31536000, immutable')
          .send(body);
      }
      throw new ModgateError('INVALID_REQUEST', `not a checksum database request: /sumdb/${db.name}/${rest.slice(0, 200)}`, {
        hint: 'expected supported, latest, lookup/<module>@<version> or tile/8/<L>/<NNN>[.p/<W>]',
      });
    });
  };
}

/** `<escaped module>@<escaped version>` of a lookup, validated by Go's rules (400 otherwise). */
function parseLookup(rest: string): { path: string; version: string } {
  const at = rest.lastIndexOf('@');
  if (at <= 0) throw new ModgateError('INVALID_REQUEST', `malformed lookup ${JSON.stringify(rest.slice(0, 200))}`, { hint: 'expected lookup/<module>@<version>' });
  const path = unescapePath(rest.slice(0, at));
  const version = unescapeVersion(rest.slice(at + 1));
  checkVersion(path, version);
  return { path, version };
}

/** A tile path exactly as the tlog tile scheme writes it; anything else is the client's error (400). */
function checkedTilePath(rest: string): string {
  try {
    parseTilePath(rest);
  } catch {
    throw new ModgateError('INVALID_REQUEST', `malformed tile path ${JSON.stringify(rest.slice(0, 200))}`, { hint: 'expected tile/<H>/<L>/<NNN>[.p/<W>] (NNN in 3-digit groups, all but the last prefixed x)' });
  }
  return rest;
}
