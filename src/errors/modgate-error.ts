// The one error type of modgate: a stable code, a human message (with a hint where one helps),
// and an optional cause. Layers below http/ throw these; http/error-status.ts maps codes to statuses.

/** Every error code modgate can produce. docs/errors.md lists each one (a test keeps them in sync). */
export const ERROR_CODES = [
  'INVALID_PATH',
  'INVALID_VERSION',
  'INVALID_REQUEST',
  'METHOD_NOT_ALLOWED',
  'UNSUPPORTED_MEDIA_TYPE',
  'PAYLOAD_TOO_LARGE',
  'HEADERS_TOO_LARGE',
  'REQUEST_TIMEOUT',
  'NOT_FOUND',
  'GONE',
  'UPSTREAM_ERROR',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_BAD_RESPONSE',
  'UPSTREAMS_OFF',
  'CHECKSUM_MISMATCH',
  'ZIP_INVALID',
  'SUMDB_ERROR',
  'SUMDB_FORK',
  'CONFIG_INVALID',
  'STORAGE_ERROR',
  'STORAGE_UNAVAILABLE',
  'STORAGE_FULL',
  'STORAGE_NOT_WRITABLE',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'VERSION_REFUSED',
  'VCS_ERROR',
  'SHUTTING_DOWN',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ModgateErrorOptions {
  /** A short hint telling the user what to do about it; appended to the message. */
  readonly hint?: string;
  readonly cause?: unknown;
  /** Extra structured fields for logs and events (never credentials). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export class ModgateError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: ModgateErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ModgateError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  /** The message plus its hint, as shown to users (plain text, no credentials). */
  get userMessage(): string {
    return this.hint ? `${this.message}\n${this.hint}` : this.message;
  }
}

export function isModgateError(err: unknown, code?: ErrorCode): err is ModgateError {
  return err instanceof ModgateError && (code === undefined || err.code === code);
}

/** True for errors that mean "not found here" (the GOPROXY `,` fallback continues on these). */
export function isNotFound(err: unknown): boolean {
  return err instanceof ModgateError && (err.code === 'NOT_FOUND' || err.code === 'GONE');
}
