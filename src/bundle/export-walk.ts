// The module set of an export: the same inputs and graph walk as prewarm (go.mod → the go command's
// pruned module graph and build list; go.sum → its lines; module@version → that version), read from
// an export source. .info/.mod are kept in memory (small); zips are streamed to files in workDir.
import { join } from 'node:path';
import pLimit from 'p-limit';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { prewarmGoMod, prewarmGoSum, prewarmModule } from '../service/prewarm-inputs.js';
import type { Fetcher, FileKind, FileResult } from '../service/prewarm-fetcher.js';
import type { ExportSource } from './export-source.js';
import type { PrewarmInput } from '../service/prewarm-run.js';

export type ExportInput = PrewarmInput;

export interface WalkedVersion {
  readonly path: string;
  readonly version: string;
  info?: Buffer;
  mod?: Buffer;
  zip?: { readonly file: string; readonly size: number; readonly sha256: string };
}

export interface WalkResult {
  /** By `path@version`. */
  readonly versions: Map<string, WalkedVersion>;
  readonly errors: string[];
  readonly skipped: Array<{ readonly module: string; readonly reason: string }>;
}

async function sha256File(file: string): Promise<{ size: number; sha256: string }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const c of createReadStream(file)) {
    h.update(c as Buffer);
    size += (c as Buffer).length;
  }
  return { size, sha256: h.digest('hex') };
}

/** Walks the inputs; a file that cannot be read is an error in the result (nothing is thrown). */
export async function walkInputs(opts: {
  inputs: readonly ExportInput[];
  source: ExportSource;
  workDir: string;
  concurrency: number;
  onFile?: (done: number, total: number, file: string) => void;
}): Promise<WalkResult> {
  const versions = new Map<string, WalkedVersion>();
  const errors: string[] = [];
  const limit = pLimit(opts.concurrency);
  const memo = new Map<string, Promise<FileResult & { body?: Buffer }>>();
  const results: FileResult[] = [];
  let zips = 0;
  let total = 0;
  const entry = (path: string, version: string): WalkedVersion => {
    const k = `${path}@${version}`;
    let v = versions.get(k);
    if (!v) versions.set(k, (v = { path, version }));
    return v;
  };
  const fetchOne = async (path: string, version: string, kind: FileKind): Promise<FileResult & { body?: Buffer }> => {
    const base = { path, version, kind, attempts: 1 } as const;
    try {
      if (kind === 'zip') {
        const file = join(opts.workDir, `zip-${zips++}`);
        await opts.source.zipTo(path, version, file);
        const h = await sha256File(file);
        entry(path, version).zip = { file, ...h };
        return { ...base, status: 'fetched', bytes: h.size };
      }
      const body = await opts.source.small(path, version, kind);
      entry(path, version)[kind] = body;
      return { ...base, status: 'fetched', bytes: body.length, body };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      errors.push(`${path}@${version}.${kind}: ${reason}`);
      return { ...base, status: 'failed', bytes: 0, reason };
    }
  };
  const fetcher: Fetcher = {
    get(path, version, kind) {
      const k = `${path}@${version}.${kind}`;
      let p = memo.get(k);
      if (!p) {
        total++;
        p = limit(() => fetchOne(path, version, kind)).then((r) => {
          results.push(r);
          opts.onFile?.(results.length, total, k);
          return r;
        });
        memo.set(k, p);
      }
      return p;
    },
    results: () => results,
    close: async () => undefined,
  };
  const skipped: Array<{ module: string; reason: string }> = [];
  for (const input of opts.inputs) {
    try {
      const o = input.kind === 'module' ? await prewarmModule(input.name, fetcher)
        : input.kind === 'go.sum' ? await prewarmGoSum(input.text, input.name, fetcher)
        : await prewarmGoMod(input, fetcher);
      errors.push(...o.errors);
      skipped.push(...o.skipped);
    } catch (err) {
      errors.push(`${input.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { versions, errors: [...new Set(errors)], skipped };
}
