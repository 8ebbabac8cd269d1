// The one place that decides HTTP status codes for errors.
import type { ErrorCode } from '../errors/modgate-error.js';

const STATUS: Readonly<Record<ErrorCode, number>> = {
  INVALID_PATH: 400,
  INVALID_VERSION: 400,
  INVALID_REQUEST: 400,
  NOT_FOUND: 404,
  GONE: 410,
  UPSTREAM_ERROR: 502,
  UPSTREAM_TIMEOUT: 504,
  UPSTREAM_BAD_RESPONSE: 502,
  UPSTREAMS_OFF: 404,
  CHECKSUM_MISMATCH: 502,
  ZIP_INVALID: 502,
  SUMDB_ERROR: 502,
  SUMDB_FORK: 502,
  CONFIG_INVALID: 500,
  STORAGE_ERROR: 500,
  STORAGE_UNAVAILABLE: 503,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  VCS_ERROR: 502,
  SHUTTING_DOWN: 503,
  INTERNAL: 500,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}
