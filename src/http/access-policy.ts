// Who may use the proxy and for which modules: optional client tokens (Bearer, or Basic with the
// token as password, as .netrc/GOAUTH users send them) and allow/deny module path patterns.
import { ModgateError } from '../errors/modgate-error.js';
import { matchPrefixPatterns } from '../module/patterns.js';
import type { RequestInfo, TokenChecker } from './admin-auth.js';

export interface AccessPolicy {
  /** Whether checkClient has anything to check (client tokens are configured). */
  readonly checksClients: boolean;
  /** Throws UNAUTHORIZED/FORBIDDEN when client tokens are configured and the request lacks one. */
  checkClient(req: RequestInfo): Promise<void>;
  /** Throws FORBIDDEN when the module path is not allowed here. */
  checkModule(path: string): void;
}

export function createAccessPolicy(opts: { clients: TokenChecker; allow: string; deny: string }): AccessPolicy {
  return {
    checksClients: opts.clients.enabled,
    async checkClient(req) {
      if (!opts.clients.enabled) return;
      try {
        await opts.clients.check(req);
      } catch (err) {
        if (!(err instanceof ModgateError && err.code === 'UNAUTHORIZED')) throw err;
        // Ask for Basic credentials: the go command then uses .netrc / GOAUTH for this host.
        throw new ModgateError('UNAUTHORIZED', 'this proxy requires a token', {
          hint: 'put the token in ~/.netrc (machine <host> login <any> password <token>) or send Authorization: Bearer <token>',
          details: { authenticate: 'Basic realm="modgate"' },
        });
      }
    },
    checkModule(path) {
      if (opts.deny && matchPrefixPatterns(opts.deny, path)) {
        throw new ModgateError('FORBIDDEN', `${path}: refused by this proxy's policy (deny list)`);
      }
      if (opts.allow && !matchPrefixPatterns(opts.allow, path)) {
        throw new ModgateError('FORBIDDEN', `${path}: not on this proxy's allow list`, { hint: `allowed: ${opts.allow}` });
      }
    },
  };
}
