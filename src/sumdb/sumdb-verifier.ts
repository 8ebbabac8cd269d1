// One verifier over several checksum databases: a version's hashes are what every database that
// knows it says (at least one must know it); two databases disagreeing is an error, never a choice.
// Used by the integrity gate (cache/verifying-gate.ts) and the CLI (verify-gosum, verify-cache).
import { ModgateError, isNotFound } from '../errors/modgate-error.js';
import type { SumdbClient } from './sumdb-client.js';

export interface SumdbHandle {
  readonly name: string;
  readonly client: SumdbClient;
}

export interface VerifiedHashes {
  /** h1 of the go.mod. */
  readonly mod?: string;
  /** h1 of the zip (absent when no database lists one). */
  readonly zip?: string;
  /** Which database(s) vouched, comma-separated. */
  readonly by: string;
}

export interface MultiVerifier {
  readonly databases: readonly SumdbHandle[];
  /**
   * The verified hashes of path@version. Throws NOT_FOUND when no database knows the version,
   * SUMDB_ERROR when databases disagree, and a database's own error (unreachable, forked) as is.
   */
  lookup(path: string, version: string): Promise<VerifiedHashes>;
}

export function createMultiVerifier(databases: readonly SumdbHandle[]): MultiVerifier {
  async function lookup(path: string, version: string): Promise<VerifiedHashes> {
    let mod: string | undefined;
    let zip: string | undefined;
    const by: string[] = [];
    const unknown: string[] = [];
    for (const db of databases) {
      let r;
      try {
        r = await db.client.lookup(path, version);
      } catch (err) {
        if (isNotFound(err)) {
          unknown.push(db.name);
          continue;
        }
        throw err;
      }
      if ((mod !== undefined && mod !== r.modHash) || (zip !== undefined && r.zipHash !== undefined && zip !== r.zipHash)) {
        throw new ModgateError('SUMDB_ERROR', `checksum databases disagree about ${path}@${version} (${by.join(', ')} vs ${db.name})`);
      }
      mod = r.modHash;
      zip = r.zipHash ?? zip;
      by.push(db.name);
    }
    if (by.length === 0) {
      throw new ModgateError('NOT_FOUND', `${path}@${version}: not in the checksum database${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`, {
        hint: 'if this is a private module, add its path to modgate\'s --private or --nosumdb patterns',
      });
    }
    return { ...(mod !== undefined ? { mod } : {}), ...(zip !== undefined ? { zip } : {}), by: by.join(', ') };
  }
  return { databases, lookup };
}
