// Wiring of the routes beside the GOPROXY ones: modgate's own checksum database, the checksum
// database proxy, the admin API, the dashboard's API and its page.
import type { FastifyInstance } from 'fastify';
import type { ModuleCache } from './cache/module-cache.js';
import type { Authenticator } from './auth/authenticator.js';
import type { Operations } from './service/operations.js';
import type { AccessPolicy } from './http/access-policy.js';
import { sumdbRoutes } from './http/sumdb-routes.js';
import { adminRoutes } from './http/admin-routes.js';
import { apiRoutes } from './http/api-routes.js';
import { dashboardRoutes } from './http/dashboard/dashboard-routes.js';
import type { Observation } from './compose-observe.js';
import type { OwnSumdb } from './compose-own-sumdb.js';
import type { Verification } from './compose-verification.js';

export interface RouteParts {
  readonly pathPrefix: string;
  readonly cache: ModuleCache;
  readonly access: AccessPolicy;
  readonly auth: Pick<Authenticator, 'adminEnabled' | 'required'>;
  readonly observe: Pick<Observation, 'events' | 'audit'>;
  readonly ops: Operations;
  readonly verification: Pick<Verification, 'databases'>;
  readonly own: OwnSumdb | undefined;
  /** Hashes the upstream databases vouch for (what the own database admits against). */
  readonly expected: Parameters<OwnSumdb['routes']>[0]['expected'];
  readonly nosumdb: string;
}

export function serverRoutes(p: RouteParts): Array<(app: FastifyInstance) => void | Promise<void>> {
  const { pathPrefix } = p;
  return [
    ...(p.own ? [p.own.routes({ cache: p.cache, access: p.access, expected: p.expected })] : []),
    sumdbRoutes({ pathPrefix, databases: p.verification.databases, nosumdb: p.nosumdb, access: p.access }),
    adminRoutes({ pathPrefix, events: p.observe.events, audit: p.observe.audit, ops: p.ops }),
    apiRoutes({ pathPrefix, ops: p.ops, access: p.access }),
    // Usage lines left empty: the page shows the ones /api/overview computes for the address it was reached at.
    dashboardRoutes({ pathPrefix, usage: { goproxy: '', gosumdb: '', goprivate: '' }, admin: p.auth.adminEnabled, auth: p.auth.required }),
  ];
}
