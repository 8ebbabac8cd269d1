// The integrity gate without a checksum database: structural checks and hashes only
// (zip rules via checkModuleZip, go.mod hash). Used when verification is off.
import { hashGoMod } from '../zip/dirhash.js';
import { checkModuleZip } from '../zip/zip-check.js';
import type { IntegrityGate } from './integrity-gate.js';

export function createBasicGate(): IntegrityGate {
  return {
    async checkMod(_subject, bytes) {
      return { h1: hashGoMod(bytes) };
    },
    async checkZip(subject, file) {
      const { h1 } = await checkModuleZip(file, { path: subject.path, version: subject.version });
      return { h1 };
    },
  };
}
