// The IntegrityGate role: every .info/.mod/.zip from an upstream passes it before it is stored or
// served. It throws (UPSTREAM_BAD_RESPONSE, ZIP_INVALID, CHECKSUM_MISMATCH) to refuse bytes; the
// chain then moves on to the next upstream as if this one had answered 404.
import { ModgateError } from '../errors/modgate-error.js';
import { isValid } from '../module/semver.js';
import { canonicalVersion } from '../module/version.js';
import { parseGoMod } from '../module/go-mod.js';

export interface InfoData {
  readonly Version: string;
  readonly Time?: string;
}

export interface GateSubject {
  readonly path: string;
  readonly version: string;
  /** Name of the upstream the bytes came from (for messages and events). */
  readonly source: string;
}

export interface IntegrityGate {
  /** Checks .mod bytes; returns their go.sum hash when known ('h1:...'). */
  checkMod(subject: GateSubject, bytes: Buffer): Promise<{ readonly h1?: string }>;
  /** Checks a downloaded zip in a local file; returns its h1 hash. */
  checkZip(subject: GateSubject, file: string): Promise<{ readonly h1: string }>;
  /**
   * Starts, ahead of the bytes, what checking path@version will need (its checksum-database
   * lookup), so that it runs while the upstream download does. Never throws; optional.
   */
  prepare?(path: string, version: string): void;
}

const TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses and checks a .info body. For a canonical request its Version must equal the request; for a
 * query it must be a canonical version. Throws UPSTREAM_BAD_RESPONSE otherwise.
 */
export function checkInfo(subject: GateSubject & { readonly query: boolean }, bytes: Buffer): InfoData {
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ModgateError('UPSTREAM_BAD_RESPONSE', `${subject.source}: ${subject.path}@${subject.version}: .info is not valid JSON`);
  }
  const info = data as { Version?: unknown; Time?: unknown } | null;
  if (!info || typeof info !== 'object' || typeof info.Version !== 'string' || !isValid(info.Version)) {
    throw new ModgateError('UPSTREAM_BAD_RESPONSE', `${subject.source}: ${subject.path}@${subject.version}: .info has no valid Version`);
  }
  if (!subject.query && info.Version !== subject.version) {
    throw new ModgateError(
      'UPSTREAM_BAD_RESPONSE',
      `${subject.source}: ${subject.path}@${subject.version}: .info names version ${info.Version}, not the requested ${subject.version}`,
    );
  }
  if (subject.query && canonicalVersion(info.Version) !== info.Version) {
    throw new ModgateError('UPSTREAM_BAD_RESPONSE', `${subject.source}: ${subject.path}@${subject.version}: resolved to non-canonical version ${info.Version}`);
  }
  if (info.Time !== undefined && (typeof info.Time !== 'string' || !TIME_RE.test(info.Time))) {
    throw new ModgateError('UPSTREAM_BAD_RESPONSE', `${subject.source}: ${subject.path}@${subject.version}: .info has an invalid Time`);
  }
  return info as InfoData;
}

/**
 * Checks .mod bytes the way the go command reads a dependency's go.mod (modfile.ParseLax, then
 * "module declares its path as ... but was required as ..."): they must parse and declare exactly
 * the requested module path (so a /vN path needs its /vN, and a +incompatible version none).
 * Whatever the checksum database setting; throws UPSTREAM_BAD_RESPONSE (a refusal) otherwise.
 */
export function checkModFile(subject: GateSubject, bytes: Buffer): void {
  const where = `${subject.source}: ${subject.path}@${subject.version}: .mod`;
  let declared: string | undefined;
  try {
    declared = parseGoMod(bytes.toString('utf8'), { fileName: 'go.mod' }).module?.path;
  } catch (err) {
    throw new ModgateError('UPSTREAM_BAD_RESPONSE', `${where} is not a valid go.mod: ${(err as Error).message.split('\n')[0] ?? ''}`, { cause: err });
  }
  if (declared === undefined || declared === '') throw new ModgateError('UPSTREAM_BAD_RESPONSE', `${where} has no module directive (not a go.mod file)`);
  if (declared !== subject.path) {
    throw new ModgateError('UPSTREAM_BAD_RESPONSE', `${where} declares module path ${declared}, not the requested ${subject.path}`);
  }
}
