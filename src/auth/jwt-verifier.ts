// JWT identities: tokens from CI systems and OIDC providers, verified by jose against the issuer's
// JWKS (fetched from a URL, refetched on an unknown key id; or read from a file), with issuer,
// audience, expiry and algorithm checks; then the provider's rules map claims to scopes and module
// patterns. Every refusal names its reason (expired, wrong audience, unknown key...), never the token.
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload, type JSONWebKeySet } from 'jose';
import { ModgateError } from '../errors/modgate-error.js';
import type { ClaimRule, JwtProviderConfig } from './identity-file.js';
import type { Identity, Scope } from './identity.js';

type KeySource = Parameters<typeof jwtVerify>[1];

export interface JwtProvider {
  readonly issuer: string;
  verify(token: string): Promise<Identity>;
}

/** True when the credential has the shape of a compact JWS (three base64url parts, a JSON header). */
export function looksLikeJwt(token: string): boolean {
  return /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/.test(token);
}

const unauthorized = (message: string): ModgateError => new ModgateError('UNAUTHORIZED', message);

/** The reason a verification failed, in words a CI log reader can act on. */
function refusal(err: unknown, p: JwtProviderConfig): ModgateError {
  if (err instanceof errors.JWTExpired) return unauthorized(`the JWT has expired (issuer ${p.issuer})`);
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return unauthorized(`the JWT's audience is not ${[p.audience].flat().join(' or ')}`);
    if (err.claim === 'nbf') return unauthorized('the JWT is not valid yet (nbf)');
    return unauthorized(`the JWT's "${err.claim}" claim is refused: ${err.reason}`);
  }
  if (err instanceof errors.JWKSNoMatchingKey) return unauthorized(`no key of issuer ${p.issuer} matches the JWT's key id`);
  if (err instanceof errors.JWSSignatureVerificationFailed) return unauthorized('the JWT\'s signature does not verify');
  if (err instanceof errors.JOSEAlgNotAllowed) return unauthorized(`the JWT's algorithm is not accepted (accepted: ${p.algorithms.join(', ')})`);
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) {
    return new ModgateError('UPSTREAM_ERROR', `cannot get the keys of JWT issuer ${p.issuer}: ${err.message}`, { cause: err });
  }
  if (err instanceof errors.JOSEError) return unauthorized(`malformed JWT (${err.code})`);
  // fetch() failures of the JWKS URL arrive as plain errors.
  return new ModgateError('UPSTREAM_ERROR', `cannot get the keys of JWT issuer ${p.issuer}: ${(err as Error).message}`, { cause: err });
}

function globMatch(glob: string, value: string): boolean {
  const re = new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

function claimMatches(claim: unknown, glob: string): boolean {
  if (typeof claim === 'string') return globMatch(glob, claim);
  if (typeof claim === 'number' || typeof claim === 'boolean') return globMatch(glob, String(claim));
  if (Array.isArray(claim)) return claim.some((c) => claimMatches(c, glob));
  return false;
}

/** A claim value safe to put into a module pattern: one path-like word, no glob or list syntax. */
const SAFE_SUBSTITUTION = /^[A-Za-z0-9._~/-]+$/;

/** The rule's module patterns with {claim} replaced; undefined (rule skipped) when a claim is missing or unsafe. */
function rulePatterns(rule: ClaimRule, payload: JWTPayload): string | null | undefined {
  if (rule.modules === undefined) return null;
  let ok = true;
  const out = rule.modules.replace(/\{([\w.-]+)\}/g, (_m, name: string) => {
    const v = payload[name];
    if (typeof v !== 'string' || !SAFE_SUBSTITUTION.test(v)) ok = false;
    return typeof v === 'string' ? v : '';
  });
  return ok ? out : undefined;
}

/** What the provider's rules grant for these claims, or a FORBIDDEN naming the subject. */
export function grantFor(p: JwtProviderConfig, payload: JWTPayload): Identity {
  const subject = payload[p.subjectClaim];
  const name = `jwt:${typeof subject === 'string' ? subject : '(no subject)'}`;
  const scopes = new Set<Scope>();
  const patterns: string[] = [];
  let everyModule = false;
  for (const rule of p.rules) {
    if (!Object.entries(rule.claims).every(([claim, glob]) => claimMatches(payload[claim], glob))) continue;
    const mods = rulePatterns(rule, payload);
    if (mods === undefined) continue;
    for (const s of rule.scopes) scopes.add(s);
    if (mods === null) everyModule = true;
    else if (mods !== '') patterns.push(mods);
  }
  if (scopes.size === 0) {
    throw new ModgateError('FORBIDDEN', `${name} (JWT from ${p.issuer}): no rule of this issuer matches the token's claims`);
  }
  return { name, scopes, source: `JWT from ${p.issuer}`, ...(everyModule ? {} : { modules: patterns.join(',') }) };
}

async function keySource(p: JwtProviderConfig): Promise<KeySource> {
  if (p.jwksUrl !== undefined) {
    return createRemoteJWKSet(new URL(p.jwksUrl), { cooldownDuration: p.jwksCooldownSeconds * 1000, cacheMaxAge: 600_000, timeoutDuration: 10_000 });
  }
  const file = p.jwksFile!;
  let jwks: JSONWebKeySet;
  try {
    jwks = JSON.parse(await readFile(file, 'utf8')) as JSONWebKeySet;
    return createLocalJWKSet(jwks);
  } catch (err) {
    throw new ModgateError('CONFIG_INVALID', `JWKS file ${file} of issuer ${p.issuer}: ${(err as Error).message}`);
  }
}

export async function createJwtProvider(p: JwtProviderConfig): Promise<JwtProvider> {
  const keys = await keySource(p);
  return {
    issuer: p.issuer,
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: p.issuer,
          audience: p.audience,
          algorithms: p.algorithms,
          clockTolerance: p.clockToleranceSeconds,
          requiredClaims: ['exp'],
        }));
      } catch (err) {
        throw refusal(err, p);
      }
      return grantFor(p, payload);
    },
  };
}

/** The provider for the JWT's (unverified) issuer, or UNAUTHORIZED when no configured issuer matches. */
export function providerFor(providers: readonly JwtProvider[], token: string): JwtProvider {
  let iss: unknown;
  try {
    iss = decodeJwt(token).iss;
  } catch {
    throw unauthorized('malformed JWT (the payload is not a JSON object)');
  }
  const p = providers.find((x) => x.issuer === iss);
  if (!p) throw unauthorized(`the JWT's issuer ${typeof iss === 'string' ? JSON.stringify(iss.slice(0, 200)) : '(none)'} is not trusted here`);
  return p;
}
