// Stored token digests: `sha256:<64 hex>` of the token's UTF-8 bytes. Tokens themselves are never
// stored or compared in the clear; lookup is by digest, so the time taken does not depend on how
// much of a wrong token matched.
import { createHash, randomBytes } from 'node:crypto';

const FORM = /^sha256:([0-9a-f]{64})$/;

export function hashToken(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

/** The normalised digest of a stored hash, or undefined when it is not `sha256:<64 lowercase hex>`. */
export function parseTokenHash(stored: string): string | undefined {
  const m = FORM.exec(stored.trim().toLowerCase());
  return m ? `sha256:${m[1]}` : undefined;
}

/** A new random token (32 bytes, base64url) for `modgate token new`. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}
