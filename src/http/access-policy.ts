// Who may use which route and module. Every route declares what it needs (route config `access`):
// `public` (/healthz, /readyz, the dashboard's page and assets), `read` (the proxy, /sumdb/, /api/),
// `admin` (/admin/), `metrics` (/metrics: the metrics token or an admin identity). With client
// tokens or an identity file configured a `read` route needs credentials; without, it is open and
// credentials only name the caller. Module paths pass the global allow/deny lists, then the
// identity's own patterns. Credentials arrive as `Authorization: Bearer T` or Basic with T as the
// password (how .netrc and GOAUTH send them); refusals are recorded as auth_failure events.
import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ModgateError, isModgateError } from '../errors/modgate-error.js';
import { matchPrefixPatterns } from '../module/patterns.js';
import type { EventLog } from '../observe/event-log.js';
import type { Authenticator } from '../auth/authenticator.js';
import { ANONYMOUS, hasScope, mayReadModule, type Identity } from '../auth/identity.js';
import { withoutQuery } from './redact-url.js';
import { clientAddress } from './client-address.js';

export type RouteAccess = 'public' | 'read' | 'admin' | 'metrics';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route needs (default `read`). */
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** The caller, set before the handler runs (ANONYMOUS on public and open routes). */
    identity: Identity;
  }
}

/** What the checks read of a request (fastify's, or the fast path's node:http request). */
export type RequestInfo = Pick<FastifyRequest, 'headers' | 'url' | 'ip'> & Partial<Pick<FastifyRequest, 'raw'>>;

export interface AccessPolicy {
  /** Credentials are required on `read` routes (client tokens or an identity file configured). */
  readonly required: boolean;
  /** Sets req.identity for a route that needs `need`; throws UNAUTHORIZED/FORBIDDEN (NOT_FOUND for an admin API that is off). */
  identify(req: RequestInfo, need: RouteAccess): Promise<Identity>;
  /** Throws FORBIDDEN naming the rule when the identity may not read the module. */
  checkModule(id: Identity, path: string): void;
  /** The same decision as checkModule, as a boolean (for filtering lists). */
  mayRead(id: Identity, path: string): boolean;
}

export interface AccessPolicyOptions {
  readonly auth: Authenticator;
  readonly events: EventLog;
  /** Global GOPRIVATE-style lists: served (empty = all) and refused. */
  readonly allow: string;
  readonly deny: string;
  /** Token Prometheus sends for /metrics ('' = none). */
  readonly metricsToken: string;
}

/** The token a request carries: `Authorization: Bearer T`, or Basic with T as the password. */
export function presentedToken(req: Pick<RequestInfo, 'headers'>): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^(\w+)\s+(.+)$/.exec(h.trim());
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'bearer') return m[2];
  if (scheme === 'basic') {
    const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : decoded;
  }
  return undefined;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

function moduleRefusal(opts: AccessPolicyOptions, id: Identity, path: string): ModgateError | undefined {
  if (opts.deny && matchPrefixPatterns(opts.deny, path)) return new ModgateError('FORBIDDEN', `${path}: refused by this proxy's policy (deny list)`);
  if (opts.allow && !matchPrefixPatterns(opts.allow, path)) return new ModgateError('FORBIDDEN', `${path}: not on this proxy's allow list`, { hint: `allowed: ${opts.allow}` });
  if (!mayReadModule(id, path)) {
    // The go command shows at most 648 bytes of the body: name a long pattern list by its size.
    const grants = !id.modules ? 'no modules' : id.modules.length <= 200 ? id.modules : `${id.modules.split(',').length} module patterns, not this one`;
    return new ModgateError('FORBIDDEN', `${path}: ${id.name} may not read this module (${id.source} grants ${grants})`);
  }
  return undefined;
}

export function createAccessPolicy(opts: AccessPolicyOptions): AccessPolicy {
  const metricsDigest = opts.metricsToken ? digest(opts.metricsToken) : undefined;
  const fail = async (req: RequestInfo, err: ModgateError): Promise<never> => {
    await opts.events.record('auth_failure', err.message, { ip: clientAddress(req), url: withoutQuery(req.url) });
    throw err;
  };
  const identifyWith = async (req: RequestInfo, credential: string | undefined, need: 'read' | 'admin'): Promise<Identity> => {
    const optional = need === 'read' && !opts.auth.required;
    if (credential === undefined) {
      if (optional) return ANONYMOUS;
      // Basic makes the go command use .netrc / GOAUTH for this host.
      return fail(req, new ModgateError('UNAUTHORIZED', need === 'admin' ? 'admin API: a token is required' : 'this proxy requires a token', {
        hint: need === 'admin' ? 'send Authorization: Bearer <token>' : 'put the token in ~/.netrc (machine <host> login <any> password <token>) or send Authorization: Bearer <token>',
        details: { authenticate: 'Basic realm="modgate"' },
      }));
    }
    let id: Identity;
    try {
      id = await opts.auth.authenticate(credential);
    } catch (err) {
      if (optional) return ANONYMOUS;
      if (!isModgateError(err, 'UNAUTHORIZED') && !isModgateError(err, 'FORBIDDEN')) throw err;
      return fail(req, err.code === 'UNAUTHORIZED' ? new ModgateError('UNAUTHORIZED', err.message, { details: { authenticate: 'Basic realm="modgate"' } }) : err);
    }
    if (!hasScope(id, need)) return fail(req, new ModgateError('FORBIDDEN', `${id.name}: this needs the ${need} scope (${id.source} grants ${[...id.scopes].join(', ')})`));
    return id;
  };
  return {
    required: opts.auth.required,
    async identify(req, need) {
      if (need === 'public') return ANONYMOUS;
      const credential = presentedToken(req);
      if (need === 'metrics') {
        if (metricsDigest && credential !== undefined && timingSafeEqual(digest(credential), metricsDigest)) return { name: 'metrics-token', scopes: new Set(), source: '--metrics-token' };
        if (!metricsDigest && !opts.auth.required) return ANONYMOUS;
        return identifyWith(req, credential, 'admin');
      }
      if (need === 'admin' && !opts.auth.adminEnabled) throw new ModgateError('NOT_FOUND', 'the admin API is off (no admin token or identity file configured)');
      return identifyWith(req, credential, need);
    },
    checkModule(id, path) {
      const refusal = moduleRefusal(opts, id, path);
      if (refusal) throw refusal;
    },
    mayRead: (id, path) => moduleRefusal(opts, id, path) === undefined,
  };
}
