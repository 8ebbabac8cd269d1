// The checksum-database transport of an offline server: nothing can be fetched, so the verifier
// client answers only from what it stored (imported proofs); anything else is a clear not-found.
import { ModgateError } from '../errors/modgate-error.js';
import type { SumdbTransport } from './sumdb-client.js';

export function createOfflineSumdbTransport(name: string): SumdbTransport {
  return {
    async get(path) {
      throw new ModgateError('NOT_FOUND', `modgate is offline (--upstream off): ${name}/${path} is not in its imported checksum-database proofs\n` +
        'export the module versions you need on a connected modgate (modgate export) and import the bundle here');
    },
  };
}
