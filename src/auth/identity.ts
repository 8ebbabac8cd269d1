// Who sent a request: an identity has a name (never the secret), scopes, and the module path
// patterns it may read. Static tokens, the identity file and JWTs all produce this one shape.
import { matchPrefixPatterns } from '../module/patterns.js';

/** `read`: the proxy, /sumdb/, the dashboard's data; `admin`: the admin API and /metrics (and read). */
export type Scope = 'read' | 'admin';

export interface Identity {
  /** For logs and audit: a configured name, or `jwt:<subject>`; never a token. */
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
  /** GOPRIVATE-style patterns (comma-separated) this identity may read; undefined = every module. */
  readonly modules?: string;
  /** Where the identity came from, named in refusals: `--client-tokens`, `identity file`, `JWT from <issuer>`. */
  readonly source: string;
}

/** The caller when authentication is off (or optional and no credentials were sent). */
export const ANONYMOUS: Identity = { name: 'anonymous', scopes: new Set<Scope>(['read']), source: 'no credentials' };

export function hasScope(id: Identity, scope: Scope): boolean {
  return id.scopes.has(scope) || (scope === 'read' && id.scopes.has('admin'));
}

/** True when the identity's module patterns cover the path (no patterns = every module). */
export function mayReadModule(id: Identity, path: string): boolean {
  return id.modules === undefined || matchPrefixPatterns(id.modules, path);
}
