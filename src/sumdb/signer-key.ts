// Signer keys of modgate's own checksum database: the verifier key (`NAME+hash+key`, what clients
// put in GOSUMDB) derived from a signer key (`PRIVATE+KEY+NAME+hash+key`), and reading a key file.

import { createPrivateKey, createPublicKey } from 'node:crypto';
import { ModgateError } from '../errors/modgate-error.js';
import { keyHash, parseSignerKey, parseVerifierKey, type Signer, type Verifier } from './note.js';
import { decodeBase64Strict } from './tlog-note.js';

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX_LENGTH = 12;

/** A parsed signer key with its verifier. The signer key text itself is not kept. */
export interface SigningKey {
  readonly name: string;
  readonly signer: Signer;
  readonly verifier: Verifier;
  /** The verifier key string (public). */
  readonly vkey: string;
}

/** Parses a signer key and derives its verifier key; throws SUMDB_ERROR (never echoing the key). */
export function parseSigningKey(skey: string): SigningKey {
  const text = skey.trim();
  const signer = parseSignerKey(text);
  // PRIVATE+KEY+name+hash+base64 (the base64 may itself contain '+').
  const seed = decodeBase64Strict(text.split('+').slice(4).join('+'))!;
  const priv = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed.subarray(1)]), format: 'der', type: 'pkcs8' });
  const raw = createPublicKey(priv).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX_LENGTH);
  const encoded = Buffer.concat([Buffer.from([1]), raw]);
  const hash = keyHash(signer.name, encoded);
  if (hash !== signer.hash) throw new ModgateError('SUMDB_ERROR', 'invalid signer hash');
  const vkey = `${signer.name}+${hash.toString(16).padStart(8, '0')}+${encoded.toString('base64')}`;
  return { name: signer.name, signer, verifier: parseVerifierKey(vkey), vkey };
}
