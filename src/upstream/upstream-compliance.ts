// The one compliance suite every Upstream kind must pass (http, file, direct; a kind's own test file
// is one call): the suite hands the kind a module version to publish in its own medium (an HTTP
// server, a directory in the module cache layout, a git repository) and checks the Upstream contract
// of upstream.ts against it: the files as published, not-found as NOT_FOUND/GONE and nothing else,
// aborts honoured, the zip streamed (never buffered whole), and the size limits.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { isModgateError, isNotFound } from '../errors/modgate-error.js';
import { checkModuleZip } from '../zip/zip-check.js';
import { createModuleZip } from '../zip/zip-create.js';
import { harness } from '../testing/harness.js';
import type { Upstream } from './upstream.js';

/** The version every kind publishes: path@version with these files, committed at `time`. */
export interface PublishedVersion {
  readonly path: string;
  readonly version: string;
  /** RFC 3339, whole seconds (git commit times have no fraction). */
  readonly time: string;
  /** File name in the module → content; includes go.mod. */
  readonly files: Readonly<Record<string, Buffer>>;
}

export interface UpstreamUnderTest {
  readonly upstream: Upstream;
  /** A module path this upstream answers 410 Gone for (kinds that can say gone). */
  readonly gonePath?: string;
  /** Versions of `path` whose zip / .mod exceed the limits (kinds whose medium can hold one). */
  readonly oversized?: { readonly zip?: string; readonly mod?: string };
  cleanup(): Promise<void>;
}

const PATH = 'example.com/compliance.git';
const BIG = 3 << 20;

/** The published version: a go.mod, a source file and 3 MiB of incompressible data (to see streaming). */
export function complianceVersion(): PublishedVersion {
  return {
    path: PATH,
    version: 'v1.2.0',
    time: '2024-03-04T05:06:07Z',
    files: {
      'go.mod': Buffer.from(`module ${PATH}\n\ngo 1.21\n`),
      'c.go': Buffer.from('package compliance\n'),
      'blob.bin': randomBytes(BIG),
    },
  };
}

/** Writes the module zip of a published version to file (the bytes an http or file upstream serves). */
export async function writePublishedZip(v: PublishedVersion, file: string): Promise<void> {
  await createModuleZip({
    path: v.path,
    version: v.version,
    outFile: file,
    files: Object.entries(v.files).map(([path, data]) => ({
      path,
      kind: 'file' as const,
      size: data.length,
      open: () => Readable.from([data]),
    })),
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function zipHash(v: PublishedVersion, stream: Readable): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'modgate-up-compliance-'));
  try {
    const file = join(dir, 'z.zip');
    await pipeline(stream, createWriteStream(file));
    return (await checkModuleZip(file, v)).h1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function assertCode(codes: readonly string[]) {
  return (err: unknown): boolean => {
    assert.ok(isModgateError(err), `a ModgateError, not ${String(err)}`);
    assert.ok(codes.includes(err.code), `${err.code} (${err.message}) is one of ${codes.join(', ')}`);
    return true;
  };
}

export function runUpstreamCompliance(name: string, make: (published: PublishedVersion) => Promise<UpstreamUnderTest>): void {
  const published = complianceVersion();
  const run = harness(() => make(published));
  const withUp = (fn: (u: UpstreamUnderTest) => Promise<void>) => run((u) => u, fn);
  const { path, version } = published;

  void describe(`upstream compliance: ${name}`, () => {
    void test('a published version: list names it, .info has its time, .mod and the zip are what was published', withUp(async ({ upstream }) => {
      assert.ok((await upstream.list(path)).toString().split('\n').includes(version));
      const info = JSON.parse((await upstream.info(path, version)).toString()) as { Version: string; Time: string };
      assert.deepEqual({ Version: info.Version, Time: info.Time }, { Version: version, Time: published.time });
      assert.deepEqual(await upstream.mod(path, version), published.files['go.mod']);
      const dir = await mkdtemp(join(tmpdir(), 'modgate-up-compliance-'));
      try {
        await writePublishedZip(published, join(dir, 'want.zip'));
        const want = (await checkModuleZip(join(dir, 'want.zip'), published)).h1;
        assert.match(want, /^h1:/);
        assert.equal(await zipHash(published, await upstream.zip(path, version)), want);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }));

    void test('what it does not have is NOT_FOUND or GONE, for every file kind', withUp(async ({ upstream, gonePath }) => {
      const missing = 'example.com/missing-module.git';
      const calls: Record<string, () => Promise<unknown>> = {
        'list of an unknown module': () => upstream.list(missing),
        '.info of an unknown module': () => upstream.info(missing, 'v1.0.0'),
        '.mod of an unknown module': () => upstream.mod(missing, 'v1.0.0'),
        'zip of an unknown module': () => upstream.zip(missing, 'v1.0.0'),
        '.info of an unknown version': () => upstream.info(path, 'v9.9.9'),
        '.mod of an unknown version': () => upstream.mod(path, 'v9.9.9'),
        'zip of an unknown version': () => upstream.zip(path, 'v9.9.9'),
      };
      for (const [what, call] of Object.entries(calls)) {
        await assert.rejects(call(), (err: unknown) => {
          assert.ok(isNotFound(err), `${what}: not found, not ${String(err)}`);
          return true;
        }, what);
      }
      if (gonePath !== undefined) {
        await assert.rejects(upstream.info(gonePath, 'v1.0.0'), assertCode(['GONE']));
        await assert.rejects(upstream.zip(gonePath, 'v1.0.0'), assertCode(['GONE']));
      }
    }));

    void test('an aborted request rejects without claiming not-found, and an aborted zip stream ends', withUp(async ({ upstream }) => {
      const before = new AbortController();
      before.abort(new Error('client went away'));
      for (const call of [() => upstream.info(path, version, before.signal), () => upstream.zip(path, version, before.signal)]) {
        await assert.rejects(call(), (err: unknown) => {
          assert.ok(!isNotFound(err), `an abort is not a not-found answer: ${String(err)}`);
          return true;
        });
      }
      const during = new AbortController();
      const stream = await upstream.zip(path, version, during.signal);
      const first = (await stream[Symbol.asyncIterator]().next()) as IteratorResult<Buffer>;
      assert.ok(!first.done && first.value.length > 0, 'the first chunk arrives');
      during.abort(new Error('client went away'));
      // Either the stream errors or it is destroyed; it must not go on to deliver the whole zip.
      const rest = await readAll(stream).then((b) => b.length, () => -1);
      assert.ok(rest < BIG, `after the abort ${rest} more bytes were read (the zip is ${BIG}+ bytes)`);
    }));

    void test('the zip is streamed: after the first chunk, most of it has not been read yet', withUp(async ({ upstream }) => {
      const stream = await upstream.zip(path, version);
      const it = stream[Symbol.asyncIterator]();
      const first = (await it.next()) as IteratorResult<Buffer>;
      assert.ok(!first.done);
      assert.ok(first.value.length + stream.readableLength < BIG / 2, `${first.value.length} + ${stream.readableLength} bytes in memory after the first chunk of a ${BIG}-byte zip`);
      stream.destroy();
    }));

    void test('bodies over the limits are refused as bad responses, not truncated or buffered', withUp(async ({ upstream, oversized }) => {
      if (oversized?.zip !== undefined) await assert.rejects(upstream.zip(path, oversized.zip).then(readAll), assertCode(['UPSTREAM_BAD_RESPONSE']));
      if (oversized?.mod !== undefined) await assert.rejects(upstream.mod(path, oversized.mod), assertCode(['UPSTREAM_BAD_RESPONSE']));
    }));
  });
}
