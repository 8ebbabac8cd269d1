// Transparency-log math of golang.org/x/mod/sumdb/tlog: RFC 6962 hashing, the stored-hash index,
// tree hashes, record (inclusion) and tree (consistency) proofs, and the tree/record note formats.
// Numbers are JS numbers (exact up to 2^53); bit shifts are done arithmetically, never with `>>`.

import { createHash } from 'node:crypto';
import { ModgateError } from '../errors/modgate-error.js';

/** A 32-byte SHA-256 hash. */
export type Hash = Buffer;
export const HASH_SIZE = 32;

/** Reads the hashes at the given stored-hash indexes (same order); may fetch and authenticate tiles. */
export type HashReader = (indexes: readonly number[]) => Promise<Hash[]>;

/** A tree head: size and root hash. */
export interface Tree {
  readonly n: number;
  readonly hash: Hash;
}

const pow2 = (k: number): number => 2 ** k;
/** n >> k for non-negative integers beyond 32 bits. */
export const shr = (n: number, k: number): number => Math.floor(n / pow2(k));

function trailingZeros(n: number): number {
  let z = 0;
  while (n > 0 && n % 2 === 0) {
    n /= 2;
    z++;
  }
  return z;
}

function fail(message: string): never {
  throw new ModgateError('SUMDB_ERROR', message);
}

/** The leaf hash of a record: sha256(0x00 ‖ data). */
export function recordHash(data: Uint8Array): Hash {
  return createHash('sha256').update(Buffer.from([0])).update(data).digest();
}

/** The interior node hash: sha256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Hash, right: Hash): Hash {
  return createHash('sha256').update(Buffer.from([1])).update(left).update(right).digest();
}

/** RFC 6962's hash of the empty tree, sha256(""). (Go's TreeHash(0) returns all zeros instead; see treeHash.) */
export function emptyTreeHash(): Hash {
  return createHash('sha256').digest();
}

/** The index in the stored-hash sequence of the hash at `level` and position `n` within that level. */
export function storedHashIndex(level: number, n: number): number {
  for (let l = level; l > 0; l--) n = 2 * n + 1;
  let i = 0;
  for (; n > 0; n = shr(n, 1)) i += n;
  return i + level;
}

/** The inverse of storedHashIndex: the level and position of a stored-hash index. */
export function splitStoredHashIndex(index: number): { level: number; n: number } {
  let n = Math.floor(index / 2);
  let indexN = storedHashIndex(0, n);
  if (indexN > index) throw new Error('tlog: bad math in splitStoredHashIndex');
  for (;;) {
    const x = indexN + 1 + trailingZeros(n + 1);
    if (x > index) break;
    n++;
    indexN = x;
  }
  const level = index - indexN;
  return { level, n: shr(n, level) };
}

/** How many hashes are stored for a tree of n records. */
export function storedHashCount(n: number): number {
  if (n === 0) return 0;
  let count = storedHashIndex(0, n - 1) + 1;
  for (let i = n - 1; i % 2 === 1; i = shr(i, 1)) count++;
  return count;
}

/**
 * The hashes to append to storage when adding record number n (hash h) to a tree of n records:
 * the leaf hash first, then each newly completed interior node. `read` must serve earlier hashes.
 */
export async function storedHashesForRecordHash(n: number, h: Hash, read: HashReader): Promise<Hash[]> {
  const hashes = [h];
  const m = trailingZeros(n + 1);
  const indexes = new Array<number>(m);
  for (let i = 0; i < m; i++) indexes[m - 1 - i] = storedHashIndex(i, shr(n, i) - 1);
  const old = await readExactly(read, indexes);
  for (let i = 0; i < m; i++) {
    h = nodeHash(old[m - 1 - i]!, h);
    hashes.push(h);
  }
  return hashes;
}

async function readExactly(read: HashReader, indexes: readonly number[]): Promise<Hash[]> {
  if (indexes.length === 0) return [];
  const hashes = await read(indexes);
  if (hashes.length !== indexes.length) fail(`tlog: read ${indexes.length} hashes, got ${hashes.length}`);
  return hashes;
}

/** k = the largest power of two strictly less than n (n ≥ 2), and its log2. */
function maxpow2(n: number): { k: number; l: number } {
  let l = 0;
  while (pow2(l + 1) < n) l++;
  return { k: pow2(l), l };
}

/** The stored-hash indexes of the complete subtrees covering records [lo, hi). */
export function subTreeIndex(lo: number, hi: number, need: number[] = []): number[] {
  while (lo < hi) {
    const { k, l } = maxpow2(hi - lo + 1);
    if (lo % k !== 0) throw new Error('tlog: bad math in subTreeIndex');
    need.push(storedHashIndex(l, shr(lo, l)));
    lo += k;
  }
  return need;
}

/** Combines the subtree hashes for [lo, hi) taken from the front of `hashes`; returns the hash and the rest. */
function subTreeHash(lo: number, hi: number, hashes: Hash[]): [Hash, Hash[]] {
  let numTree = 0;
  while (lo < hi) {
    const { k } = maxpow2(hi - lo + 1);
    if (lo % k !== 0) throw new Error('tlog: bad math in subTreeHash');
    numTree++;
    lo += k;
  }
  if (hashes.length < numTree) throw new Error('tlog: bad index math in subTreeHash');
  let h = hashes[numTree - 1]!;
  for (let i = numTree - 2; i >= 0; i--) h = nodeHash(hashes[i]!, h);
  return [h, hashes.slice(numTree)];
}

/** The root hash of the tree of n records. Like Go, the hash of the empty tree is 32 zero bytes. */
export async function treeHash(n: number, read: HashReader): Promise<Hash> {
  if (n === 0) return Buffer.alloc(HASH_SIZE);
  const indexes = subTreeIndex(0, n);
  const [h, rest] = subTreeHash(0, n, await readExactly(read, indexes));
  if (rest.length !== 0) throw new Error('tlog: bad index math in treeHash');
  return h;
}

function leafProofIndex(lo: number, hi: number, n: number, need: number[]): number[] {
  if (!(lo <= n && n < hi)) throw new Error('tlog: bad math in leafProofIndex');
  if (lo + 1 === hi) return need;
  return indexStep(lo, hi, need, (k) => n < lo + k, (a, b) => leafProofIndex(a, b, n, need));
}

/** The indexes one level of a proof over [lo, hi) needs, in the order proofStep consumes them. */
function indexStep(lo: number, hi: number, need: number[], inLeft: (k: number) => boolean, recurse: (lo: number, hi: number) => void): number[] {
  const { k } = maxpow2(hi - lo);
  if (inLeft(k)) {
    recurse(lo, lo + k);
    subTreeIndex(lo + k, hi, need);
  } else {
    subTreeIndex(lo, lo + k, need);
    recurse(lo + k, hi);
  }
  return need;
}

function leafProof(lo: number, hi: number, n: number, hashes: Hash[]): [Hash[], Hash[]] {
  if (lo + 1 === hi) return [[], hashes];
  return proofStep(lo, hi, hashes, (k) => n < lo + k, (a, b, h) => leafProof(a, b, n, h));
}

/**
 * One level of a leaf or tree proof over [lo, hi): the proof in the half that holds n (recursing),
 * then the hash of the other half, consuming hashes in the order the *ProofIndex functions listed them.
 */
function proofStep(lo: number, hi: number, hashes: Hash[], inLeft: (k: number) => boolean, recurse: (lo: number, hi: number, hashes: Hash[]) => [Hash[], Hash[]]): [Hash[], Hash[]] {
  const { k } = maxpow2(hi - lo);
  let p: Hash[];
  let th: Hash;
  if (inLeft(k)) {
    [p, hashes] = recurse(lo, lo + k, hashes);
    [th, hashes] = subTreeHash(lo + k, hi, hashes);
  } else {
    [th, hashes] = subTreeHash(lo, lo + k, hashes);
    [p, hashes] = recurse(lo + k, hi, hashes);
  }
  p.push(th);
  return [p, hashes];
}

/** The proof that record n is in the tree of t records. */
export async function proveRecord(t: number, n: number, read: HashReader): Promise<Hash[]> {
  if (t < 0 || n < 0 || n >= t) fail('tlog: invalid inputs in proveRecord');
  const indexes = leafProofIndex(0, t, n, []);
  return leafProof(0, t, n, await readExactly(read, indexes))[0];
}

const proofFailed = (): never => fail('invalid transparency proof');

function runRecordProof(p: readonly Hash[], lo: number, hi: number, n: number, leaf: Hash): Hash {
  if (lo + 1 === hi) return p.length === 0 ? leaf : proofFailed();
  if (p.length === 0) proofFailed();
  const { k } = maxpow2(hi - lo);
  const last = p[p.length - 1]!;
  const rest = p.slice(0, -1);
  return n < lo + k
    ? nodeHash(runRecordProof(rest, lo, lo + k, n, leaf), last)
    : nodeHash(last, runRecordProof(rest, lo + k, hi, n, leaf));
}

/** Verifies that p proves record n (leaf hash h) is in the tree of t records with root th; throws SUMDB_ERROR if not. */
export function checkRecord(p: readonly Hash[], t: number, th: Hash, n: number, h: Hash): void {
  if (t < 0 || n < 0 || n >= t) fail('tlog: invalid inputs in checkRecord');
  if (!runRecordProof(p, 0, t, n, h).equals(th)) proofFailed();
}

function treeProofIndex(lo: number, hi: number, n: number, need: number[]): number[] {
  if (!(lo < n && n <= hi)) throw new Error('tlog: bad math in treeProofIndex');
  if (n === hi) return lo === 0 ? need : subTreeIndex(lo, hi, need);
  return indexStep(lo, hi, need, (k) => n <= lo + k, (a, b) => treeProofIndex(a, b, n, need));
}

function treeProof(lo: number, hi: number, n: number, hashes: Hash[]): [Hash[], Hash[]] {
  if (n === hi) {
    if (lo === 0) return [[], hashes];
    const [th, rest] = subTreeHash(lo, hi, hashes);
    return [[th], rest];
  }
  return proofStep(lo, hi, hashes, (k) => n <= lo + k, (a, b, h) => treeProof(a, b, n, h));
}

/** The proof that the tree of n records is a prefix of the tree of t records. */
export async function proveTree(t: number, n: number, read: HashReader): Promise<Hash[]> {
  if (t < 1 || n < 1 || n > t) fail('tlog: invalid inputs in proveTree');
  const indexes = treeProofIndex(0, t, n, []);
  return treeProof(0, t, n, await readExactly(read, indexes))[0];
}

function runTreeProof(p: readonly Hash[], lo: number, hi: number, n: number, old: Hash): [Hash, Hash] {
  if (n === hi) {
    if (lo === 0) return p.length === 0 ? [old, old] : proofFailed();
    return p.length === 1 ? [p[0]!, p[0]!] : proofFailed();
  }
  if (p.length === 0) proofFailed();
  const { k } = maxpow2(hi - lo);
  const last = p[p.length - 1]!;
  const rest = p.slice(0, -1);
  if (n <= lo + k) {
    const [oh, th] = runTreeProof(rest, lo, lo + k, n, old);
    return [oh, nodeHash(th, last)];
  }
  const [oh, th] = runTreeProof(rest, lo + k, hi, n, old);
  return [nodeHash(last, oh), nodeHash(last, th)];
}

/** Verifies that p proves the tree of n records (root h) is a prefix of the tree of t records (root th). */
export function checkTree(p: readonly Hash[], t: number, th: Hash, n: number, h: Hash): void {
  if (t < 1 || n < 1 || n > t) fail('tlog: invalid inputs in checkTree');
  const [h2, th2] = runTreeProof(p, 0, t, n, h);
  if (!th2.equals(th) || !h2.equals(h)) proofFailed();
}
