// Signed notes (golang.org/x/mod/sumdb/note): Ed25519 verifier and signer keys, key hashes,
// signing, and opening a note with Go's exact acceptance rules.

import { type KeyObject, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { ModgateError } from '../errors/modgate-error.js';
import { decodeBase64Strict } from './tlog-note.js';

const ALG_ED25519 = 1;
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
/** Largest note openNote accepts (Go has no limit; tree notes are ~200 bytes). */
export const MAX_NOTE_SIZE = 1 << 20;
const MAX_SIGNATURES = 100;

/** A key that can check signatures by one named server. */
export interface Verifier {
  readonly name: string;
  /** The 32-bit key hash (first 4 bytes of sha256(name ‖ '\n' ‖ 0x01 ‖ pubkey)). */
  readonly hash: number;
  readonly publicKey: KeyObject;
  verify(msg: Buffer, sig: Buffer): boolean;
}

/** A key that signs notes as one named server. */
export interface Signer {
  readonly name: string;
  readonly hash: number;
  sign(msg: Buffer): Buffer;
}

export interface Signature {
  readonly name: string;
  readonly hash: number;
  /** base64 of (4-byte key hash ‖ signature) as written in the note. */
  readonly base64: string;
}

/** An opened note: its text (ending in '\n') and its verified and unknown-key signatures. */
export interface Note {
  readonly text: string;
  readonly sigs: readonly Signature[];
  readonly unverifiedSigs: readonly Signature[];
}

const err = (message: string): never => {
  throw new ModgateError('SUMDB_ERROR', message);
};

// Go's unicode.IsSpace: ASCII/Latin-1 spaces plus the Unicode White_Space characters.
const SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

/** Go's isValidName: non-empty valid UTF-8 without Unicode spaces or '+'. */
export function isValidKeyName(name: string): boolean {
  return name !== '' && Buffer.from(name, 'utf8').toString('utf8') === name && !SPACE.test(name) && !name.includes('+');
}

/** The key hash of `name` and an encoded public key (algorithm byte ‖ key). */
export function keyHash(name: string, encodedKey: Buffer): number {
  return createHash('sha256').update(name, 'utf8').update('\n').update(encodedKey).digest().readUInt32BE(0);
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

function chop(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + sep.length)];
}

function parseHash16(s: string): number | undefined {
  return /^[0-9a-fA-F]{8}$/.test(s) ? Number.parseInt(s, 16) : undefined;
}

/** Parses a verifier key `<name>+<hash hex8>+<base64(0x01 ‖ ed25519 public key)>`; throws SUMDB_ERROR. */
export function parseVerifierKey(vkey: string): Verifier {
  const [name, rest] = chop(vkey, '+');
  const [hash16, key64] = chop(rest, '+');
  const hash = parseHash16(hash16);
  const key = decodeBase64Strict(key64);
  if (hash === undefined || !key || key.length === 0 || !isValidKeyName(name)) err(`malformed verifier id: ${vkey}`);
  if (hash !== keyHash(name, key!)) err(`invalid verifier hash: ${vkey}`);
  if (key![0] !== ALG_ED25519) err(`unknown verifier algorithm: ${vkey}`);
  const raw = key!.subarray(1);
  if (raw.length !== 32) err(`malformed verifier id: ${vkey}`);
  const publicKey = createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
  return {
    name,
    hash: hash!,
    publicKey,
    verify: (msg, sig) => sig.length === 64 && verify(null, msg, publicKey, sig),
  };
}

/** Parses a signer key `PRIVATE+KEY+<name>+<hash hex8>+<base64(0x01 ‖ 32-byte seed)>`; throws SUMDB_ERROR. */
export function parseSignerKey(skey: string): Signer {
  const [priv1, r1] = chop(skey, '+');
  const [priv2, r2] = chop(r1, '+');
  const [name, r3] = chop(r2, '+');
  const [hash16, key64] = chop(r3, '+');
  const hash = parseHash16(hash16);
  const key = decodeBase64Strict(key64);
  if (priv1 !== 'PRIVATE' || priv2 !== 'KEY' || hash === undefined || !key || key.length === 0 || !isValidKeyName(name)) {
    err('malformed signer key');
  }
  if (key![0] !== ALG_ED25519) err('unknown signer algorithm');
  if (key!.length !== 33) err('malformed signer key');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, key!.subarray(1)]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const pub = Buffer.concat([Buffer.from([ALG_ED25519]), spki.subarray(SPKI_ED25519.length)]);
  if (hash !== keyHash(name, pub)) err('invalid signer hash');
  return { name, hash: hash!, sign: (msg) => sign(null, msg, privateKey) };
}

/** A new Ed25519 key pair for `name`, as signer key (skey) and verifier key (vkey) strings. */
export function generateKey(name: string): { skey: string; vkey: string } {
  if (!isValidKeyName(name)) throw new ModgateError('SUMDB_ERROR', `invalid key name ${JSON.stringify(name)}`);
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = Buffer.concat([Buffer.from([ALG_ED25519]), publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length)]);
  const seed = Buffer.concat([Buffer.from([ALG_ED25519]), privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519.length)]);
  const h = hex8(keyHash(name, pub));
  return { skey: `PRIVATE+KEY+${name}+${h}+${seed.toString('base64')}`, vkey: `${name}+${h}+${pub.toString('base64')}` };
}

/** The verifier key string of a verifier (as parsed from it). */
export function formatVerifierKey(v: Verifier): string {
  const raw = v.publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length);
  return `${v.name}+${hex8(v.hash)}+${Buffer.concat([Buffer.from([ALG_ED25519]), raw]).toString('base64')}`;
}

/** Signs `text` (which must end in '\n') with each signer: text, a blank line, one `— name sig` line each. */
export function signNote(text: string, signers: readonly Signer[]): Buffer {
  if (!text.endsWith('\n')) err('malformed note: text must end in a newline');
  const body = Buffer.from(text, 'utf8');
  const lines = signers.map((s) => {
    if (!isValidKeyName(s.name)) err('invalid signer');
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(s.hash >>> 0);
    return `\u2014 ${s.name} ${Buffer.concat([prefix, s.sign(body)]).toString('base64')}\n`;
  });
  return Buffer.concat([body, Buffer.from(`\n${lines.join('')}`, 'utf8')]);
}

/** True if msg is valid UTF-8 with no control characters other than '\n' (DEL is allowed, as in Go). */
function isCleanText(msg: Buffer): boolean {
  const s = msg.toString('utf8');
  return Buffer.from(s, 'utf8').equals(msg) && !/[\u0000-\u0009\u000b-\u001f]/.test(s);
}

/**
 * Opens a signed note: splits it at the last "\n\n", checks each `— name base64` line, verifies
 * signatures by known keys (a bad one is an error), records unknown-key ones as unverified, and
 * requires at least one verified signature. Throws SUMDB_ERROR with Go's reasons.
 */
export function openNote(msg: Buffer, verifiers: readonly Verifier[]): Note {
  if (msg.length > MAX_NOTE_SIZE) err('malformed note: too large');
  if (!isCleanText(msg)) err('malformed note');
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) err('malformed note');
  const text = msg.subarray(0, split + 1);
  let sigs = msg.subarray(split + 2);
  if (sigs.length === 0 || sigs[sigs.length - 1] !== 0x0a) err('malformed note');

  const sigsOut: Signature[] = [];
  const unverified: Signature[] = [];
  const seen = new Set<string>();
  const seenUnverified = new Set<string>();
  let numSig = 0;
  while (sigs.length > 0) {
    const nl = sigs.indexOf(0x0a);
    let line = sigs.subarray(0, nl).toString('utf8');
    sigs = sigs.subarray(nl + 1);
    if (!line.startsWith('\u2014 ')) err('malformed note');
    line = line.slice(2);
    const [name, b64] = chop(line, ' ');
    const sig = decodeBase64Strict(b64);
    if (!sig || !isValidKeyName(name) || b64 === '' || sig.length < 5) err('malformed note');
    const hash = sig!.readUInt32BE(0);
    if (++numSig > MAX_SIGNATURES) err('malformed note: too many signatures');
    const matches = verifiers.filter((v) => v.name === name && v.hash === hash);
    if (matches.length === 0) {
      if (!seenUnverified.has(line)) {
        seenUnverified.add(line);
        unverified.push({ name, hash, base64: b64 });
      }
      continue;
    }
    if (matches.length > 1) err(`ambiguous key ${name}+${hex8(hash)}`);
    const id = `${name}+${hash}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (!matches[0]!.verify(text, sig!.subarray(4))) err(`invalid signature for key ${name}+${hex8(hash)}`);
    sigsOut.push({ name, hash, base64: b64 });
  }
  if (sigsOut.length === 0) err('note has no verifiable signatures');
  return { text: text.toString('utf8'), sigs: sigsOut, unverifiedSigs: unverified };
}
