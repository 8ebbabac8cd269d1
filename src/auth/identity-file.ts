// The identity file (--identities FILE, JSON): named static tokens stored as hashes, and the JWT
// issuers (OIDC providers, CI systems) whose tokens are accepted, with rules mapping claims to
// module patterns and scopes. Parsed and checked here; docs/access-control.md shows the format.
import * as z from 'zod';
import { parseJsonFile, readSettingFile } from '../config/json-file.js';
import { parseTokenHash } from './token-hash.js';
import type { Scope } from './identity.js';
import { patternList } from '../config/pattern-list.js';

const scopes = z.array(z.enum(['read', 'admin'])).min(1).default(['read']);
/** GOPRIVATE-style patterns: an array or one comma-separated string; absent = every module. */
const modules = patternList;

const tokenEntry = z
  .object({
    name: z.string().min(1).regex(/^[\w.@:/-]+$/, 'letters, digits and _ . @ : / - only'),
    hash: z.string().transform((v, ctx) => {
      const h = parseTokenHash(v);
      if (h === undefined) {
        ctx.issues.push({ code: 'custom', input: '(redacted)', message: 'expected "sha256:<64 hex digits>" (plain-text tokens are not accepted; make one with `modgate token hash`)' });
        return z.NEVER;
      }
      return h;
    }),
    scopes,
    modules: modules.optional(),
  })
  .strict();

const rule = z
  .object({
    /** Every listed claim must match: a string claim by glob (`*` = any run of characters), an array claim when any element does. */
    claims: z.record(z.string(), z.string()).default({}),
    scopes,
    /** `{claim}` is replaced by the claim's value (e.g. "github.com/{repository}"). */
    modules: modules.optional(),
  })
  .strict();

const jwtProvider = z
  .object({
    issuer: z.string().min(1),
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    jwksUrl: z.string().url().optional(),
    jwksFile: z.string().min(1).optional(),
    /** The claim naming the caller in logs and audit (default `sub`). */
    subjectClaim: z.string().min(1).default('sub'),
    algorithms: z.array(z.string().min(1)).min(1).default(['RS256', 'ES256', 'EdDSA', 'PS256']),
    clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
    /** Least time between two JWKS refetches for an unknown key id (seconds). */
    jwksCooldownSeconds: z.number().min(0).max(3600).default(30),
    rules: z.array(rule).min(1),
  })
  .strict()
  .refine((p) => (p.jwksUrl === undefined) !== (p.jwksFile === undefined), 'give exactly one of "jwksUrl" or "jwksFile"');

const identityFile = z
  .object({
    tokens: z.array(tokenEntry).default([]),
    jwt: z.array(jwtProvider).default([]),
  })
  .strict()
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.tokens.forEach((t, i) => {
      if (seen.has(t.hash)) ctx.addIssue({ code: 'custom', path: ['tokens', i, 'hash'], message: `the same token hash appears twice (${t.name})` });
      seen.add(t.hash);
    });
  });

export type IdentityFile = z.infer<typeof identityFile>;
export type JwtProviderConfig = IdentityFile['jwt'][number];
export type ClaimRule = JwtProviderConfig['rules'][number];
export interface TokenEntry {
  readonly name: string;
  readonly hash: string;
  readonly scopes: readonly Scope[];
  readonly modules?: string;
}

/** Parses the file's text; throws CONFIG_INVALID naming the file and every problem (never a token). */
export function parseIdentityFile(text: string, file: string): IdentityFile {
  return parseJsonFile(identityFile, text, file, 'docs/access-control.md');
}

export async function loadIdentityFile(file: string): Promise<IdentityFile> {
  return parseIdentityFile(await readSettingFile(file, 'identity file'), file);
}
