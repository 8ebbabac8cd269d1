// Storage failures as storage failures: an operating-system error from a write (disk full, read-only
// or not writable) becomes a ModgateError with a stable code, the operation, the errno code and
// the original cause, so that it is reported as the store's fault and never as the upstream's.
import { ModgateError, type ErrorCode } from '../errors/modgate-error.js';

const FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
const NOT_WRITABLE = new Set(['EROFS', 'EACCES', 'EPERM']);

/** The errno code of an error (or its cause), if it has one. */
export function errnoOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  if (typeof e?.code === 'string' && ERRNO.test(e.code)) return e.code;
  return typeof e?.cause?.code === 'string' && ERRNO.test(e.cause.code) ? e.cause.code : undefined;
}

const ERRNO = /^E[A-Z]+$/;

/** Wraps an error thrown by a storage operation; ModgateErrors pass through unchanged. */
export function storageError(err: unknown, op: string, where: string): unknown {
  if (err instanceof ModgateError) return err;
  // An aborted operation (a shutdown, a cancelled fill) failed because of its abort, not of the store.
  const aborted = err as { name?: unknown; cause?: unknown } | undefined;
  if (aborted?.name === 'AbortError') return aborted.cause instanceof ModgateError ? aborted.cause : err;
  const errno = errnoOf(err);
  if (errno === undefined) return err;
  const code: ErrorCode = FULL.has(errno) ? 'STORAGE_FULL' : NOT_WRITABLE.has(errno) ? 'STORAGE_NOT_WRITABLE' : 'STORAGE_ERROR';
  const reason = FULL.has(errno) ? 'the store is full' : NOT_WRITABLE.has(errno) ? 'the store is not writable' : 'the store failed';
  return new ModgateError(code, `storage ${op} ${where} failed: ${reason} (${errno})`, {
    cause: err,
    ...(FULL.has(errno) ? { hint: 'free space in the cache (or let GC keep it smaller: --gc-max-bytes)' } : {}),
    ...(NOT_WRITABLE.has(errno) ? { hint: 'check that the cache is mounted read-write and writable by modgate' } : {}),
    details: { storageOp: op, errno },
  });
}

/** True for failures of the store itself (not of an upstream or of the request). */
export function isStorageFailure(err: unknown): err is ModgateError {
  return err instanceof ModgateError && (err.code === 'STORAGE_FULL' || err.code === 'STORAGE_NOT_WRITABLE' || err.code === 'STORAGE_ERROR' || err.code === 'STORAGE_UNAVAILABLE');
}
