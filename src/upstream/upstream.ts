// The Upstream role: one source of module files speaking the GOPROXY protocol's vocabulary.
// Not-found contract: an upstream that does not have something throws ModgateError NOT_FOUND (404)
// or GONE (410); every other failure is UPSTREAM_ERROR / UPSTREAM_TIMEOUT / UPSTREAM_BAD_RESPONSE.
// Paths and versions passed in are unescaped and already validated; upstreams escape them.
import type { Readable } from 'node:stream';

export type FileKind = 'list' | 'latest' | 'info' | 'mod' | 'zip';

export interface Upstream {
  /** Display name: the URL without credentials (safe for logs and error bodies). */
  readonly name: string;
  /** The raw `@v/list` body. */
  list(path: string, signal?: AbortSignal): Promise<Buffer>;
  /** The raw `@latest` body (JSON). */
  latest(path: string, signal?: AbortSignal): Promise<Buffer>;
  /** The raw `.info` body for a canonical version or a query (branch, commit, prefix). */
  info(path: string, version: string, signal?: AbortSignal): Promise<Buffer>;
  /** The raw `.mod` body. */
  mod(path: string, version: string, signal?: AbortSignal): Promise<Buffer>;
  /** The `.zip` body as a stream (never buffered whole). */
  zip(path: string, version: string, signal?: AbortSignal): Promise<Readable>;
  close?(): Promise<void>;
}

/** Upper bound on small upstream bodies (.info/.mod/list/@latest): the go command's go.mod limit. */
export const MAX_SMALL_BODY = 16 << 20;
/** Upper bound on a module zip (the go command refuses larger). */
export const MAX_ZIP_BYTES = 500 << 20;
