// The integrity gate with modgate's own checksum database: every version admitted is recorded in
// the log, and a recorded version never changes. Public paths are checked by the inner gate
// against the upstream databases first and recorded with the same hashes; private/nosumdb paths
// are recorded on first fetch (this replaces pinning). Bytes that differ from the record are
// refused with an event, a metric and an error naming both hashes.
import { ModgateError } from '../errors/modgate-error.js';
import { matchPrefixPatterns } from '../module/patterns.js';
import type { RecordHashes } from '../sumdb/log-record.js';
import type { RecordOutcome } from '../sumdb/log-writer.js';
import type { Storage } from '../storage/storage.js';
import type { EventLog } from '../observe/event-log.js';
import { hashGoMod } from '../zip/dirhash.js';
import { checkModuleZip } from '../zip/zip-check.js';
import type { GateSubject, IntegrityGate } from './integrity-gate.js';
import { versionKey } from './cache-keys.js';

/** The log as the gate needs it (LogWriter implements it). */
export interface VersionRecorder {
  recorded(path: string, version: string): Promise<{ id: number; hashes: RecordHashes } | undefined>;
  record(path: string, version: string, hashes: RecordHashes): Promise<RecordOutcome>;
}

export interface RecordingGateOptions {
  /** The gate in front for public paths (checksum databases); private paths skip it. */
  readonly inner: IntegrityGate;
  /** The hashes the upstream databases vouch for (both known after inner accepted the version). */
  readonly expected: (path: string, version: string) => Promise<{ mod?: string; zip?: string }>;
  readonly recorder: VersionRecorder;
  /** The database name (for messages). */
  readonly name: string;
  /** GONOSUMDB-style patterns: recorded on first fetch instead of checked upstream. */
  readonly nosumdb: string;
  /** Where the cache keeps the .mod of a version (read to record a private version at its zip). */
  readonly storage: Storage;
  readonly events: EventLog;
  readonly onRefusal?: (kind: 'mod' | 'zip') => void;
}

export function createRecordingGate(opts: RecordingGateOptions): IntegrityGate {
  async function refuse(subject: GateSubject, kind: 'mod' | 'zip', id: number, recorded: string, got: string): Promise<never> {
    const { path, version, source } = subject;
    opts.onRefusal?.(kind);
    await opts.events.record('record_mismatch', `${source} served ${path}@${version} .${kind} that differs from its record in ${opts.name}`, {
      module: path, version, kind, upstream: source, expected: recorded, received: got, sumdb: opts.name, record: id,
    });
    throw new ModgateError('CHECKSUM_MISMATCH', `${source}: ${path}@${version} .${kind}: checksum mismatch\n  recorded in ${opts.name} (record ${id}): ${recorded}\n  upstream served now: ${got}`, {
      hint: 'a recorded version never changes (force-pushed tag or polluted mirror?); the new bytes were refused',
    });
  }

  /** Compares with the record of the version, recording it first when `hashes` can be made. */
  async function compare(subject: GateSubject, kind: 'mod' | 'zip', got: string, make: () => Promise<RecordHashes | undefined>): Promise<void> {
    const { path, version } = subject;
    const field = kind === 'mod' ? 'modHash' : 'zipHash';
    const known = await opts.recorder.recorded(path, version);
    if (known) {
      if (known.hashes[field] !== got) await refuse(subject, kind, known.id, known.hashes[field], got);
      return;
    }
    const hashes = await make();
    if (!hashes) return;
    const out = await opts.recorder.record(path, version, hashes);
    if (out.recorded[field] !== got) await refuse(subject, kind, out.id, out.recorded[field], got);
  }

  const isPrivate = (path: string): boolean => matchPrefixPatterns(opts.nosumdb, path);

  /** The hashes of a public version, from the databases the inner gate consulted. */
  async function publicHashes(path: string, version: string): Promise<RecordHashes | undefined> {
    const e = await opts.expected(path, version);
    return e.mod !== undefined && e.zip !== undefined ? { modHash: e.mod, zipHash: e.zip } : undefined;
  }

  return {
    async checkMod(subject, bytes) {
      const h1 = hashGoMod(bytes);
      if (!isPrivate(subject.path)) {
        const known = await opts.recorder.recorded(subject.path, subject.version);
        if (!known) await opts.inner.checkMod(subject, bytes);
        await compare(subject, 'mod', h1, () => publicHashes(subject.path, subject.version));
        return { h1 };
      }
      // A private version is recorded with its zip (fetched after its .mod); until then only a
      // record made earlier can refuse the .mod.
      await compare(subject, 'mod', h1, () => Promise.resolve(undefined));
      return { h1 };
    },
    async checkZip(subject, file) {
      if (!isPrivate(subject.path)) {
        const known = await opts.recorder.recorded(subject.path, subject.version);
        const { h1 } = known ? await checkModuleZip(file, { path: subject.path, version: subject.version }) : await opts.inner.checkZip(subject, file);
        await compare(subject, 'zip', h1, () => publicHashes(subject.path, subject.version));
        return { h1 };
      }
      const { h1 } = await checkModuleZip(file, { path: subject.path, version: subject.version });
      await compare(subject, 'zip', h1, async () => {
        const mod = await opts.storage.get(versionKey(subject.path, subject.version, 'mod'));
        return mod ? { modHash: hashGoMod(mod), zipHash: h1 } : undefined;
      });
      return { h1 };
    },
  };
}
