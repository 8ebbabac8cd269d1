// Turns a presented credential into an Identity: the static tokens of --client-tokens (read) and
// --admin-tokens (admin), the named tokens of the identity file (by sha256 digest), and JWTs of the
// identity file's issuers. The identity file is re-read on reload() (SIGHUP) and when it changes;
// a file that no longer parses leaves the previous identities in force. The identity file's reader
// and the JWT verifier (jose) are loaded only when an identity file / an issuer is configured.
import { ModgateError } from '../errors/modgate-error.js';
import { watchForChanges, type FileWatch } from '../config/watched-file.js';
import { hashToken } from './token-hash.js';
import type { JwtProvider } from './jwt-verifier.js';
import type { Identity, Scope } from './identity.js';

export interface AuthenticatorOptions {
  readonly clientTokens: readonly string[];
  readonly adminTokens: readonly string[];
  /** Path of the identity file ('' = none). */
  readonly identitiesFile: string;
  /** Called after each reload attempt (error = the previous identities stay). */
  readonly onReload?: (r: { tokens: number; issuers: number } | { error: Error }) => void;
}

export interface Authenticator {
  /** Credentials are required on every route but /healthz and /readyz (client tokens or an identity file configured). */
  readonly required: boolean;
  /** Some identity may hold the admin scope (the admin API is on). */
  readonly adminEnabled: boolean;
  /** The identity a credential proves; throws FORBIDDEN (unknown token, or a valid JWT no rule grants) or UNAUTHORIZED (an invalid JWT) with the reason. */
  authenticate(credential: string): Promise<Identity>;
  /** Re-reads the identity file. */
  reload(): Promise<void>;
  close(): void;
}

interface Loaded {
  readonly tokens: ReadonlyMap<string, Identity>;
  readonly providers: readonly JwtProvider[];
  /** The JWT verifier module, loaded when some issuer is configured. */
  readonly jwt?: typeof import('./jwt-verifier.js');
}

function staticIdentities(tokens: readonly string[], kind: 'client' | 'admin', into: Map<string, Identity>): void {
  tokens.forEach((t, i) => {
    const scopes = new Set<Scope>([kind === 'admin' ? 'admin' : 'read']);
    into.set(hashToken(t), { name: `${kind}-token-${i + 1}`, scopes, source: `--${kind}-tokens` });
  });
}

async function load(opts: AuthenticatorOptions): Promise<Loaded> {
  const tokens = new Map<string, Identity>();
  staticIdentities(opts.clientTokens, 'client', tokens);
  staticIdentities(opts.adminTokens, 'admin', tokens);
  if (opts.identitiesFile === '') return { tokens, providers: [] };
  const file = await (await import('./identity-file.js')).loadIdentityFile(opts.identitiesFile);
  for (const t of file.tokens) {
    tokens.set(t.hash, { name: t.name, scopes: new Set(t.scopes), source: 'identity file', ...(t.modules !== undefined ? { modules: t.modules } : {}) });
  }
  if (file.jwt.length === 0) return { tokens, providers: [] };
  const jwt = await import('./jwt-verifier.js');
  return { tokens, providers: await Promise.all(file.jwt.map(jwt.createJwtProvider)), jwt };
}

/** Loads the identities once (a bad identity file stops the start with CONFIG_INVALID). */
export async function createAuthenticator(opts: AuthenticatorOptions): Promise<Authenticator> {
  let current = await load(opts);
  let watch: FileWatch | undefined;
  const reload = async (): Promise<void> => {
    try {
      current = await load(opts);
      opts.onReload?.({ tokens: current.tokens.size, issuers: current.providers.length });
    } catch (err) {
      opts.onReload?.({ error: err as Error });
    }
  };
  if (opts.identitiesFile !== '') watch = watchForChanges([opts.identitiesFile], () => void reload());
  return {
    required: opts.clientTokens.length > 0 || opts.identitiesFile !== '',
    adminEnabled: opts.adminTokens.length > 0 || opts.identitiesFile !== '',
    async authenticate(credential) {
      const known = current.tokens.get(hashToken(credential));
      if (known) return known;
      const { jwt, providers } = current;
      if (jwt && providers.length > 0 && jwt.looksLikeJwt(credential)) return jwt.providerFor(providers, credential).verify(credential);
      throw new ModgateError('FORBIDDEN', 'the token was refused (not a known token)');
    },
    reload,
    close() {
      watch?.close();
    },
  };
}
