// Bearer-token checks for the admin API: constant-time comparison against configured tokens;
// no token configured = the admin API is off (404). Failures are recorded as events.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ModgateError } from '../errors/modgate-error.js';
import type { EventLog } from '../observe/event-log.js';
import { withoutQuery } from './redact-url.js';

/** What a token check reads of a request (a fastify request, or the fast path's view of a raw one). */
export type RequestInfo = Pick<FastifyRequest, 'headers' | 'ip' | 'url'>;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export interface TokenChecker {
  readonly enabled: boolean;
  /** Throws UNAUTHORIZED (missing) or FORBIDDEN (wrong token); records an auth_failure event. */
  check(req: RequestInfo): Promise<void>;
}

export function parseTokens(list: string): string[] {
  return list.split(',').map((t) => t.trim()).filter((t) => t !== '');
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

export function createTokenChecker(tokens: readonly string[], events: EventLog, realm: string): TokenChecker {
  const digests = tokens.map(digest);
  return {
    enabled: digests.length > 0,
    async check(req) {
      const token = presentedToken(req);
      if (token === undefined) {
        await events.record('auth_failure', `${realm}: request without a token`, { ip: req.ip, url: withoutQuery(req.url) });
        throw new ModgateError('UNAUTHORIZED', `${realm}: a token is required`, { hint: 'send Authorization: Bearer <token>' });
      }
      const d = digest(token);
      let ok = false;
      for (const t of digests) ok = timingSafeEqual(t, d) || ok;
      if (!ok) {
        await events.record('auth_failure', `${realm}: wrong token`, { ip: req.ip, url: withoutQuery(req.url) });
        throw new ModgateError('FORBIDDEN', `${realm}: the token was refused`);
      }
    },
  };
}
