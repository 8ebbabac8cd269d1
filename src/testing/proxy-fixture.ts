// Test support for the http layer's tests (src/testing: not in dist/): a file:// upstream directory with real
// module zips, and a module cache over it (fs storage, basic gate, local coordinator).
import { mkdir, writeFile } from 'node:fs/promises';
import { pino } from 'pino';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createModuleCache, type Refusal } from '../cache/module-cache.js';
import { createBasicGate } from '../cache/basic-gate.js';
import { createFsStorage } from '../storage/fs-storage.js';
import { createLocalCoordinator } from '../coordination/local-coordinator.js';
import { createUpstreamChain } from '../upstream/upstream-chain.js';
import { createFileUpstream } from '../upstream/file-upstream.js';
import { writeModuleZip } from '../../test/support/module-zip.js';
import { escapePath, escapeVersion } from '../module/escape.js';

/** Writes path@version's .info, .mod and zip into a GOPROXY-layout directory. */
export async function addVersion(root: string, path: string, version: string, files: Record<string, string>, time = '2024-01-02T03:04:05Z'): Promise<void> {
  const d = join(root, ...escapePath(path).split('/'), '@v');
  const v = escapeVersion(version);
  await mkdir(d, { recursive: true });
  await writeFile(join(d, `${v}.info`), JSON.stringify({ Version: version, Time: time }));
  await writeFile(join(d, `${v}.mod`), files['go.mod'] ?? `module ${path}\n`);
  await writeModuleZip(join(d, `${v}.zip`), path, version, files);
}

/** A module cache in `cacheDir` over a file:// upstream at `upstreamDir` (no checksum DB). */
export function cacheOver(upstreamDir: string, cacheDir: string, onRefusal?: (r: Refusal) => void) {
  const storage = createFsStorage(cacheDir);
  const cache = createModuleCache({
    ...(onRefusal ? { onRefusal } : {}),
    storage,
    chain: createUpstreamChain([{ upstream: createFileUpstream(pathToFileURL(upstreamDir).toString()), fallBackOnError: false }]),
    gate: createBasicGate(),
    coordinator: createLocalCoordinator(),
    listTtlMs: 60_000,
    staleWhileRevalidateMs: 60_000,
    negativeTtlMs: 60_000,
    queryTtlMs: 60_000,
  });
  return { storage, cache };
}

/** The createProxyServer options the http tests share: silent log, no prefix, 60 s max-ages, no readiness checks. */
export const testServerDefaults = () => ({ logger: pino({ level: 'silent' }), pathPrefix: '', shortMaxAge: 60, negativeMaxAge: 60, readiness: [] });
