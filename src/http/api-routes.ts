// Read-only JSON for the dashboard under <prefix>/api/: overview, time series, recent requests,
// events, and the module browser. It needs the read scope when authentication is on; an identity
// without the admin scope sees only the modules (and their requests and events) it may read.
// Writes live in the admin API.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hasScope, type Identity } from '../auth/identity.js';
import type { AccessPolicy } from './access-policy.js';
import { ModgateError } from '../errors/modgate-error.js';
import { versionsNewestFirst } from '../cache/cache-inventory.js';
import type { Operations } from '../service/operations.js';

export function baseUrlOf(req: FastifyRequest, pathPrefix: string): string {
  // req.host: the Host header, or :authority over HTTP/2.
  const host = req.host || 'localhost';
  return `${req.protocol}://${host}${pathPrefix}`;
}

const clamp = (v: unknown, def: number, max: number): number => Math.min(max, Math.max(1, Number(v ?? def) || def));

export function apiRoutes(opts: { pathPrefix: string; ops: Operations; access?: AccessPolicy }) {
  const { ops, access } = opts;
  const sees = (id: Identity, module: unknown): boolean =>
    !access || hasScope(id, 'admin') || (typeof module === 'string' && access.mayRead(id, module));
  return (app: FastifyInstance): void => {
    void app.register(
      async (api) => {
        api.addHook('onRequest', async (req) => {
          req.flow.kind = 'api';
        });
        api.get('/overview', async (req) => ops.overview(baseUrlOf(req, opts.pathPrefix)));
        api.get<{ Querystring: { minutes?: string } }>('/timeseries', async (req) => ({
          stepSeconds: 10,
          points: ops.stats.series(clamp(req.query.minutes, 60, 60)),
        }));
        api.get<{ Querystring: { limit?: string } }>('/requests', async (req) => ({
          requests: ops.stats.recent(500).filter((e) => sees(req.identity, e.module)).slice(0, clamp(req.query.limit, 100, 500)),
        }));
        api.get<{ Querystring: { limit?: string } }>('/events', async (req) => {
          const limit = clamp(req.query.limit, 50, 500);
          if (!access || hasScope(req.identity, 'admin')) return { events: await ops.events.recent({ limit }) };
          return { events: (await ops.events.recent({ limit: 500 })).filter((e) => sees(req.identity, e.details.module)).slice(0, limit) };
        });
        api.get<{ Querystring: { q?: string; limit?: string } }>('/modules', async (req) => {
          const inv = await ops.inventory.scan();
          const q = (req.query.q ?? '').toLowerCase();
          const modules = [...inv.modules.values()]
            .filter((m) => m.path.toLowerCase().includes(q) && (!access || access.mayRead(req.identity, m.path)))
            .sort((a, b) => a.path.localeCompare(b.path))
            .slice(0, clamp(req.query.limit, 100, 1000))
            .map((m) => {
              const vs = [...m.versions.values()];
              const lastAccess = Math.max(0, ...vs.map((v) => v.lastAccess ?? 0));
              return {
                path: m.path,
                versions: vs.length,
                bytes: vs.reduce((n, v) => n + v.bytes, 0),
                ...(lastAccess > 0 ? { lastAccess: new Date(lastAccess).toISOString() } : {}),
              };
            });
          return { modules, scannedAt: new Date(inv.scannedAt).toISOString() };
        });
        api.get<{ Querystring: { path?: string } }>('/modules/versions', async (req) => {
          const path = req.query.path;
          if (!path) throw new ModgateError('INVALID_REQUEST', 'missing ?path=<module path>');
          access?.checkModule(req.identity, path);
          const mod = (await ops.inventory.scan()).modules.get(path);
          if (!mod) throw new ModgateError('NOT_FOUND', `${path} is not in the cache`);
          const verified = ops.verificationOf(path);
          const details = await Promise.all(versionsNewestFirst(mod).map(async (v) => ({ v, ...(await ops.versionDetails(path, v.version, v.files)) })));
          return {
            path,
            versions: details.map(({ v, ziphash, time }) => ({
              version: v.version,
              ...(time !== undefined ? { time } : {}),
              ...(ziphash !== undefined ? { ziphash } : {}),
              files: v.files.filter((f) => f !== 'ziphash').sort(),
              bytes: v.bytes,
              ...(v.zipBytes !== undefined ? { zipBytes: v.zipBytes } : {}),
              verified: v.files.includes('zip') || v.files.includes('mod') ? verified : 'unverified',
              modified: new Date(v.modified).toISOString(),
              ...(v.lastAccess !== undefined ? { lastAccess: new Date(v.lastAccess).toISOString() } : {}),
            })),
          };
        });
      },
      { prefix: `${opts.pathPrefix}/api` },
    );
  };
}
