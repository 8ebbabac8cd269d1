// Reaches a checksum database the way the go command does: directly when its URL was given,
// otherwise through the first upstream proxy that answers `<proxy>/sumdb/<name>/supported` with 200
// (404/410 → next; other errors → next only after `|`), else https://<name>. undici is loaded with
// the first network request, not at startup.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Agent } from 'undici';
import { ModgateError, isNotFound } from '../errors/modgate-error.js';
import type { SumdbTransport } from '../sumdb/sumdb-client.js';
import type { ProxyEntry } from './proxy-list.js';
import { redactUrl } from './proxy-list.js';

export interface SumdbTransportOptions {
  readonly name: string;
  /** The database URL when given explicitly in the GOSUMDB setting. */
  readonly explicitUrl?: string | undefined;
  /** The upstream list (only URL entries are tried for /sumdb/ support). */
  readonly proxies: readonly ProxyEntry[];
  readonly timeoutMs: number;
}

export interface ResolvedSumdbTransport extends SumdbTransport {
  /** Base URL in use once resolved (for logs, /readyz). */
  where(): Promise<string>;
}

type Client = { readonly agent: Agent; readonly request: typeof import('undici').request };

function createBaseTransport(base: string, client: () => Promise<Client>, timeoutMs: number): SumdbTransport {
  if (base.startsWith('file:')) {
    const root = fileURLToPath(base);
    return {
      async get(path) {
        try {
          return await readFile(join(root, ...path.split('/')));
        } catch {
          throw new ModgateError('NOT_FOUND', `${base}/${path}: not found`);
        }
      },
    };
  }
  return {
    async get(path) {
      const { agent, request } = await client();
      let res;
      try {
        res = await request(`${base}/${path}`, { dispatcher: agent, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
      } catch (err) {
        throw new ModgateError('SUMDB_ERROR', `${redactUrl(base)}/${path}: ${(err as Error).message}`, { cause: err });
      }
      const body = Buffer.from(await res.body.arrayBuffer());
      if (res.statusCode === 200) return body;
      const text = body.toString('utf8').split('\n')[0]?.slice(0, 200) ?? '';
      if (res.statusCode === 404 || res.statusCode === 410) {
        throw new ModgateError('NOT_FOUND', `${redactUrl(base)}/${path}: ${res.statusCode} ${text}`);
      }
      throw new ModgateError('SUMDB_ERROR', `${redactUrl(base)}/${path}: unexpected status ${res.statusCode} ${text}`);
    },
  };
}

export function createSumdbTransport(opts: SumdbTransportOptions): ResolvedSumdbTransport {
  let loaded: Promise<Client> | undefined;
  // undici is CommonJS: its default export is module.exports, under Node and in the bundle alike
  // (the bundle's chunk of a CommonJS package has no named exports).
  const agent = (): Promise<Client> =>
    (loaded ??= import('undici').then(({ default: u }) => ({ agent: new u.Agent({ connect: { timeout: opts.timeoutMs }, keepAliveTimeout: 30_000 }), request: u.request })));
  let resolved: Promise<{ base: string; transport: SumdbTransport }> | undefined;

  async function resolve(): Promise<{ base: string; transport: SumdbTransport }> {
    if (opts.explicitUrl) {
      const base = opts.explicitUrl.replace(/\/+$/, '');
      return { base, transport: createBaseTransport(base, agent, opts.timeoutMs) };
    }
    for (const entry of opts.proxies) {
      if (entry.kind !== 'url') break;
      const base = `${entry.url}/sumdb/${opts.name}`;
      const t = createBaseTransport(base, agent, opts.timeoutMs);
      try {
        await t.get('supported');
        return { base, transport: t };
      } catch (err) {
        if (isNotFound(err) || entry.fallBackOnError) continue;
        throw err;
      }
    }
    const base = `https://${opts.name}`;
    return { base, transport: createBaseTransport(base, agent, opts.timeoutMs) };
  }

  const get = () => {
    if (!resolved) {
      resolved = resolve();
      resolved.catch(() => (resolved = undefined));
    }
    return resolved;
  };
  return {
    async get(path) {
      return (await get()).transport.get(path);
    },
    async where() {
      return redactUrl((await get()).base);
    },
  };
}
