// Checksum-database proofs of a bundle, checked with no network: the tree head's signature with the
// importer's verifier key, every record's inclusion in that tree (tiles from the bundle, then from
// what the importer stored before), and the tree's consistency with the tree the importer knows.
import { isModgateError } from '../errors/modgate-error.js';
import { openNote, parseVerifierKey } from '../sumdb/note.js';
import { parseRecord, parseTree } from '../sumdb/tlog-note.js';
import { type Hash, type Tree, checkTree, recordHash, storedHashIndex, treeHash } from '../sumdb/tlog.js';
import { type Tile, type TileReader, tileHashReader, tilePath } from '../sumdb/tlog-tile.js';
import { HASH_SIZE } from '../sumdb/tlog.js';
import type { BundleTree } from './bundle-manifest.js';

/** One reason a bundle is refused: the file it concerns and, where there are two, both hashes. */
export interface Problem {
  readonly file: string;
  readonly reason: string;
  readonly expected?: string;
  readonly actual?: string;
}

export interface ProofInputs {
  readonly tree: BundleTree;
  readonly vkey: string;
  /** Bytes of a key under `sumdb/<name>/` from the bundle, or undefined. */
  readonly bundled: (key: string) => Promise<Buffer | undefined>;
  /** Bytes of a key under `sumdb/<name>/` the importer already stored, or undefined. */
  readonly stored: (key: string) => Promise<Buffer | undefined>;
  /** The record files (keys `lookup/<m>@<v>`) of this database in the bundle. */
  readonly lookups: readonly string[];
}

export interface VerifiedRecord {
  /** `lookup/<escaped m>@<escaped v>` */
  readonly key: string;
  readonly lines: ReadonlyMap<string, string>;
}

export interface ProofResult {
  readonly problems: Problem[];
  readonly tree: Tree | undefined;
  readonly noteBytes: Buffer;
  /** The importer's known signed tree (bytes) before the import, if any. */
  readonly known: Buffer | undefined;
  /** True when the bundle's tree is newer than the known one (it becomes the latest). */
  readonly newer: boolean;
  readonly records: VerifiedRecord[];
  /** Tile keys (`tile/...`) authenticated against the tree, to be stored. */
  readonly tiles: ReadonlySet<string>;
}

const msgOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A TileReader over bundle then stored tiles (exact, or cut from a full tile); records what was authenticated. */
function layeredTiles(inp: ProofInputs, authenticated: Set<string>): TileReader {
  const read = async (t: Tile): Promise<Buffer> => {
    const path = tilePath(t);
    const exact = (await inp.bundled(path)) ?? (await inp.stored(path));
    if (exact) return exact;
    const full = tilePath({ ...t, w: 2 ** t.h });
    const wide = (await inp.bundled(full)) ?? (await inp.stored(full));
    if (wide && wide.length >= t.w * HASH_SIZE) return wide.subarray(0, t.w * HASH_SIZE);
    throw new Error(`the bundle has no tile ${path} (needed for the proof)`);
  };
  return {
    height: 8,
    readTiles: (tiles) => Promise.all(tiles.map(read)),
    saveTiles: async (tiles) => {
      for (const t of tiles) authenticated.add(tilePath(t));
    },
  };
}

/** Parses a record's go.sum lines: `<path> <version>[/go.mod]` → h1. */
function recordLines(text: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.toString('utf8').split('\n')) {
    const f = line.split(' ');
    if (f.length === 3 && f[2]!.startsWith('h1:')) out.set(`${f[0]} ${f[1]}`, f[2]!);
  }
  return out;
}

/** Verifies one database's proofs in a bundle. */
export async function verifyProofs(inp: ProofInputs): Promise<ProofResult> {
  const name = inp.tree.name;
  const where = `sumdb/${name}/latest`;
  const problems: Problem[] = [];
  const authenticated = new Set<string>();
  const noteBytes = Buffer.from(inp.tree.note, 'utf8');
  const verifier = parseVerifierKey(inp.vkey);
  const empty = (known?: Buffer): ProofResult => ({ problems, tree: undefined, noteBytes, known, newer: false, records: [], tiles: authenticated });
  let tree: Tree;
  try {
    tree = parseTree(openNote(noteBytes, [verifier]).text);
  } catch (err) {
    problems.push({ file: where, reason: `the bundle's signed tree head of ${name} does not verify with the configured key ${inp.vkey.split('+').slice(0, 2).join('+')}: ${msgOf(err)}` });
    return empty();
  }
  if (tree.n !== inp.tree.size) problems.push({ file: 'manifest.json', reason: `manifest says tree size ${inp.tree.size}, the signed tree head says ${tree.n}` });
  const reader = tileHashReader(tree, layeredTiles(inp, authenticated));

  const known = await inp.stored('latest');
  let newer = true;
  if (known) {
    let knownTree: Tree | undefined;
    try {
      knownTree = parseTree(openNote(known, [verifier]).text);
    } catch (err) {
      problems.push({ file: where, reason: `the importer's own stored tree head of ${name} does not verify: ${msgOf(err)}` });
    }
    if (knownTree) {
      newer = tree.n > knownTree.n;
      await checkConsistency({ name, where, tree, knownTree, reader, inp, authenticated, problems });
    }
  }

  const records: VerifiedRecord[] = [];
  for (const key of inp.lookups) {
    const file = `sumdb/${name}/${key}`;
    const data = await inp.bundled(key);
    if (!data) continue;
    try {
      const { id, text, rest } = parseRecord(data);
      if (!rest.equals(noteBytes)) {
        problems.push({ file, reason: 'the record is not proven against the bundle\'s tree head (a different signed note follows it)' });
        continue;
      }
      if (id < 0 || id >= tree.n) {
        problems.push({ file, reason: `record id ${id} is outside the tree of size ${tree.n}` });
        continue;
      }
      const [leaf] = await reader([storedHashIndex(0, id)]);
      const got = recordHash(text);
      if (!leaf!.equals(got)) {
        problems.push({ file, reason: `record ${id} is not in the signed tree (leaf hash differs)`, expected: `tree leaf ${leaf!.toString('base64')}`, actual: `record ${got.toString('base64')}` });
        continue;
      }
      records.push({ key, lines: recordLines(text) });
    } catch (err) {
      problems.push({ file, reason: `cannot prove the record: ${msgOf(err)}` });
    }
  }
  return { problems, tree, noteBytes, known, newer, records, tiles: authenticated };
}

async function checkConsistency(c: {
  name: string; where: string; tree: Tree; knownTree: Tree; reader: ReturnType<typeof tileHashReader>;
  inp: ProofInputs; authenticated: Set<string>; problems: Problem[];
}): Promise<void> {
  const { tree, knownTree, problems } = c;
  const older = tree.n <= knownTree.n ? tree : knownTree;
  const newer = older === tree ? knownTree : tree;
  if (older.n === 0) return;
  let h: Hash;
  try {
    const newerReader = newer === tree ? c.reader : tileHashReader(knownTree, layeredTiles(c.inp, new Set()));
    h = await treeHash(older.n, newerReader);
    const proof = c.inp.tree.consistency;
    if (newer === tree && proof && proof.size === knownTree.n) {
      checkTree(proof.proof.map((p) => Buffer.from(p, 'base64')), tree.n, tree.hash, knownTree.n, knownTree.hash);
    }
  } catch (err) {
    if (isModgateError(err, 'SUMDB_ERROR') && /invalid transparency proof/.test(err.message)) {
      problems.push({ file: 'manifest.json', reason: `the consistency proof from tree ${knownTree.n} to tree ${tree.n} of ${c.name} does not verify` });
      return;
    }
    problems.push({ file: c.where, reason: `cannot prove that the importer's tree ${knownTree.n} of ${c.name} and the bundle's tree ${tree.n} are consistent: ${msgOf(err)}` });
    return;
  }
  if (!h.equals(older.hash)) {
    problems.push({
      file: c.where,
      reason: `the bundle's tree ${tree.n} of ${c.name} is inconsistent with the tree ${knownTree.n} this server already knows (the database forked, or the bundle is forged)`,
      expected: `tree ${older.n} hash ${older.hash.toString('base64')} (${older === knownTree ? 'known here' : 'bundle'})`,
      actual: `hash ${h.toString('base64')} computed at size ${older.n} from the ${newer === tree ? 'bundle\'s' : 'known'} tree ${newer.n}`,
    });
  }
}
