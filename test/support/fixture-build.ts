// Builds the fixture app with the real go command through a GOPROXY (fresh module cache), then runs
// `go mod download -json all`; fails the test with the go command's output if either fails.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { copyFixtureApp, type Fixture } from './gohelper.js';
import { createGoEnv, goModDownloadJson, type GoModDownload } from './go-env.js';

export interface FixtureBuildOptions {
  readonly fixture: Fixture;
  readonly goproxy: string;
  readonly gosumdb: string;
  /** Parent directory for the app copy and binary. */
  readonly work: string;
  /** A name unique in `work`. */
  readonly name: string;
  /** Written to $HOME/.netrc of the go command (credentials for the proxy). */
  readonly netrc?: string;
  /** Further variables for the go command (SSL_CERT_FILE...). */
  readonly extraEnv?: Record<string, string>;
}

/** Writes HOME/.netrc (the go command sends its credentials to the matching host). */
export async function writeNetrc(home: string, text: string): Promise<void> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(home, { recursive: true });
  await writeFile(join(home, '.netrc'), text, { mode: 0o600 });
}

export async function buildAndDownloadAll(opts: FixtureBuildOptions): Promise<{ modules: GoModDownload[]; goSum: string }> {
  const env = await createGoEnv({ GOPROXY: opts.goproxy, GOSUMDB: opts.gosumdb, sharedBuildCache: true, ...(opts.extraEnv ? { extra: opts.extraEnv } : {}) });
  try {
    if (opts.netrc !== undefined) await writeNetrc(env.home, opts.netrc);
    const app = await copyFixtureApp(opts.fixture, join(opts.work, opts.name));
    const build = await env.run(['build', '-o', join(opts.work, `${opts.name}.bin`), '.'], { cwd: app });
    assert.equal(build.code, 0, `go build through ${opts.goproxy} failed:\n${build.stderr}`);
    const dl = await goModDownloadJson(app, env);
    assert.equal(dl.code, 0, `go mod download all failed:\n${dl.stderr}\n${dl.modules.filter((m) => m.Error).map((m) => `${m.Path}@${m.Version}: ${m.Error}`).join('\n')}`);
    return { modules: dl.modules, goSum: await readFile(join(app, 'go.sum'), 'utf8') };
  } finally {
    await env.cleanup();
  }
}

const directMemo = new Map<string, Promise<{ modules: GoModDownload[]; goSum: string }>>();

/**
 * The reference result: the fixture app built by the go command against the fixture's module
 * directory directly (GOPROXY=file://, the given checksum database). It depends only on the fixture
 * (its manifest, hence every file) and the go command, so it is computed once per fixture and go
 * version and kept beside the fixture; every test comparing "through modgate" with "direct" shares it.
 */
export function directReference(opts: Omit<FixtureBuildOptions, 'goproxy' | 'name'>): Promise<{ modules: GoModDownload[]; goSum: string }> {
  const id = createHash('sha256').update(JSON.stringify(opts.fixture.manifest)).update(process.env.PATH ?? '').digest('hex').slice(0, 16);
  let p = directMemo.get(id);
  if (!p) {
    const file = join(dirname(opts.fixture.proxyDir), `direct-reference-${id}.json`);
    p = readFile(file, 'utf8')
      .then((text) => JSON.parse(text) as { modules: GoModDownload[]; goSum: string })
      .catch(async () => {
        const r = await buildAndDownloadAll({ ...opts, goproxy: `file://${opts.fixture.proxyDir}`, name: `direct-reference-${process.pid}` });
        // Local paths (Zip, GoMod, Dir) point into a module cache that is gone: keep only what compares.
        const modules = r.modules.map((m) => ({ Path: m.Path, Version: m.Version, Sum: m.Sum, GoModSum: m.GoModSum }) as GoModDownload);
        const tmp = `${file}.${process.pid}.tmp`;
        await mkdir(dirname(file), { recursive: true });
        await writeFile(tmp, JSON.stringify({ modules, goSum: r.goSum }));
        await rename(tmp, file);
        return { modules, goSum: r.goSum };
      });
    directMemo.set(id, p);
  }
  return p;
}
