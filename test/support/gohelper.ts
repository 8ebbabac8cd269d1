// Harness for test/gohelper (the Go reference side of the interop tests): compiles the helper once
// per source hash, builds and caches the module-graph fixture, runs the checksum database server,
// and wraps the one-shot x/mod utilities (zip hash, zip check, path checks).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { runProcess, trackChild } from './process-runner.js';

/** Root modules of the default fixture (Debian golang-*-dev sources). */
export const DEFAULT_FIXTURE_ROOTS: readonly string[] = [
  'github.com/spf13/cobra',
  'github.com/spf13/viper',
  'github.com/sirupsen/logrus',
  'github.com/stretchr/testify',
  'golang.org/x/text',
  'gopkg.in/yaml.v3',
  'gopkg.in/yaml.v2',
];

const HELPER_SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'gohelper');
/** The modules built from Debian sources (path and package per line); every other one is a stub. */
export const FIXTURE_MODULES_FILE = join(HELPER_SRC, 'fixture-modules.txt');
const GOCODE = '/usr/share/gocode';
const CACHE_ROOT = join(tmpdir(), 'modgate-gohelper');

/** Environment for the go command compiling the helper: GOPATH mode over Debian's sources. */
function goBuildEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(CACHE_ROOT, 'home'),
    GO111MODULE: 'off',
    GOPATH: GOCODE,
    GOFLAGS: '',
    GOCACHE: join(CACHE_ROOT, 'gocache'),
    CGO_ENABLED: '0',
    GOTOOLCHAIN: 'local',
  };
}

let sourceHashPromise: Promise<string> | undefined;

/** sha256 (hex, 16 chars) over the helper's .go files, names and contents. */
export function goHelperSourceHash(): Promise<string> {
  sourceHashPromise ??= (async () => {
    const names = (await readdir(HELPER_SRC)).filter((n) => n.endsWith('.go')).sort();
    const h = createHash('sha256');
    for (const n of names) {
      h.update(`${n}\n`);
      h.update(await readFile(join(HELPER_SRC, n)));
      h.update('\n');
    }
    return h.digest('hex').slice(0, 16);
  })();
  return sourceHashPromise;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function uniqueSuffix(): string {
  return `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Runs make() at most once per machine for target: other processes wait on a lock file and
 * reuse the result. make() builds into the temp path it is given; it is renamed onto target.
 */
async function buildOnce(target: string, make: (tmp: string) => Promise<void>, timeoutMs: number): Promise<void> {
  if (await exists(target)) return;
  await mkdir(dirname(target), { recursive: true });
  const lock = `${target}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await open(lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (await exists(target)) return;
    const owner = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
    if (owner > 0 && !isAlive(owner)) await rm(lock, { force: true });
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const tmp = `${target}.tmp-${uniqueSuffix()}`;
  try {
    if (await exists(target)) return;
    await make(tmp);
    await rename(tmp, target);
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await rm(lock, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let binaryPromise: Promise<string> | undefined;

/** Path of the compiled helper; compiled once per source hash and shared by concurrent tests. */
export function goHelperBinary(): Promise<string> {
  binaryPromise ??= (async () => {
    const bin = join(CACHE_ROOT, `gohelper-${await goHelperSourceHash()}`);
    await buildOnce(
      bin,
      async (tmp) => {
        const r = await runProcess('go', ['build', '-o', tmp, '.'], { cwd: HELPER_SRC, env: goBuildEnv(), timeoutMs: 300_000 });
        if (r.code !== 0) throw new Error(`building test/gohelper failed (exit ${r.code}):\n${r.stderr}`);
      },
      300_000,
    );
    return bin;
  })();
  binaryPromise.catch(() => (binaryPromise = undefined));
  return binaryPromise;
}

/** Runs a helper subcommand and parses its single JSON line; throws on a non-zero exit. */
async function runHelperJson<T>(args: string[], timeoutMs = 120_000): Promise<T> {
  const bin = await goHelperBinary();
  const r = await runProcess(bin, args, { timeoutMs });
  if (r.code !== 0) throw new Error(`gohelper ${args[0] ?? ''} failed (exit ${r.code}): ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as T;
}

export interface FixtureModule {
  path: string;
  /** true: a generated go.mod-only module standing in for one Debian does not ship. */
  stub: boolean;
  debVersion?: string;
  /** every version in the proxy, in semver order */
  versions: string[];
  /** the version the app's build list selects ("" if unreachable from the roots) */
  selected: string;
  filteredFiles?: string[];
}

export interface FixtureManifest {
  roots: string[];
  app: string;
  imports: string[];
  modules: FixtureModule[];
  skipped: { module: string; version?: string; reason: string }[];
  versionCount: number;
}

export interface Fixture {
  /** GOPROXY-layout directory: use as `file://${proxyDir}` or serve with startFileProxy. */
  proxyDir: string;
  /** example.com/fixtureapp: go.mod (no go.sum) and main.go; copy it before running go in it. */
  appDir: string;
  manifest: FixtureManifest;
}

const fixturePromises = new Map<string, Promise<Fixture>>();

/**
 * The fixture module list and the installed versions of its Debian packages (what the fixture is
 * built from); throws naming the packages that are not installed.
 */
async function fixtureSources(): Promise<string> {
  const list = await readFile(FIXTURE_MODULES_FILE, 'utf8');
  const packages = [...new Set(list.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).map((l) => l.trim().split(/\s+/)[1]!))].sort();
  const r = await runProcess('dpkg-query', ['-W', '-f', '${Package} ${db:Status-Status} ${Version}\n', ...packages], { timeoutMs: 60_000 });
  const installed = new Map(r.stdout.split('\n').map((l) => l.split(' ')).filter((f) => f[1] === 'installed').map((f) => [f[0]!, f[2]!]));
  const missing = packages.filter((p) => !installed.has(p));
  if (missing.length > 0) {
    throw new Error(`the test fixture needs Debian packages that are not installed: ${missing.join(' ')} (bash scripts/ensure-deps.sh installs them; the list is ${FIXTURE_MODULES_FILE})`);
  }
  return `${list}\n${packages.map((p) => `${p} ${installed.get(p)!}`).join('\n')}`;
}

/**
 * Builds (once per helper source hash, roots, module list and installed package versions, shared
 * across processes) the module fixture.
 */
export function buildFixture(roots: readonly string[] = DEFAULT_FIXTURE_ROOTS): Promise<Fixture> {
  const key = roots.join(',');
  let p = fixturePromises.get(key);
  if (!p) {
    p = (async () => {
      const bin = await goHelperBinary();
      const id = createHash('sha256').update(`${await goHelperSourceHash()}\n${key}\n${await fixtureSources()}`).digest('hex').slice(0, 16);
      const dir = join(CACHE_ROOT, `fixture-${id}`);
      await buildOnce(
        dir,
        async (tmp) => {
          const args = ['build-fixture', '-src', join(GOCODE, 'src'), '-out', tmp, '-roots', key, '-modules', FIXTURE_MODULES_FILE];
          const r = await runProcess(bin, args, { timeoutMs: 300_000 });
          if (r.code !== 0) throw new Error(`gohelper build-fixture failed (exit ${r.code}):\n${r.stderr}`);
        },
        300_000,
      );
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as FixtureManifest;
      return { proxyDir: join(dir, 'proxy'), appDir: join(dir, 'app'), manifest };
    })();
    p.catch(() => fixturePromises.delete(key));
    fixturePromises.set(key, p);
  }
  return p;
}

export interface SumdbOptions {
  /** GOPROXY-layout directory the go.sum lines are computed from. */
  proxyDir: string;
  /** database name, used when a key is generated (default sum.modgate.test) */
  name?: string;
  /** signer key file: reused if it exists, else created (restart with it = same key, new tree) */
  keyFile?: string;
  /** record every request path in `requests` */
  log?: boolean;
  /** module path prefixes whose lookups answer denyStatus */
  deny?: readonly string[];
  /** 404 (default) or 410 */
  denyStatus?: number;
}

export interface SumdbServer {
  /** base URL, e.g. http://127.0.0.1:PORT (GOSUMDB="<vkey> <url>") */
  url: string;
  /** verifier key */
  vkey: string;
  name: string;
  /** GOSUMDB value naming this server with its URL */
  gosumdb: string;
  /** request paths seen (with log: true), e.g. /lookup/..., /tile/8/0/000 */
  requests: string[];
  stop(): Promise<void>;
}

/** Starts `gohelper sumdb`; resolves once it listens. */
export async function startSumdb(opts: SumdbOptions): Promise<SumdbServer> {
  const bin = await goHelperBinary();
  // -exit-on-stdin-eof: the server dies with this process even if it is SIGKILLed.
  const args = ['sumdb', '-exit-on-stdin-eof', '-proxy', opts.proxyDir, '-listen', '127.0.0.1:0'];
  if (opts.name !== undefined) args.push('-name', opts.name);
  if (opts.keyFile !== undefined) args.push('-keyfile', opts.keyFile);
  if (opts.log === true) args.push('-log');
  if (opts.deny !== undefined && opts.deny.length > 0) args.push('-deny', opts.deny.join(','));
  if (opts.denyStatus !== undefined) args.push('-deny-status', String(opts.denyStatus));
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const untrack = trackChild(child);
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (stderr += d));
  const requests: string[] = [];
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const ready = new Promise<{ url: string; vkey: string; name: string }>((res, rej) => {
    const lines = createInterface({ input: child.stdout });
    let started = false;
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { url?: string; vkey?: string; name?: string; req?: string };
      if (msg.req !== undefined) requests.push(msg.req);
      else if (!started && msg.url !== undefined && msg.vkey !== undefined && msg.name !== undefined) {
        started = true;
        res({ url: msg.url, vkey: msg.vkey, name: msg.name });
      }
    });
    child.once('error', rej);
    child.once('exit', (code) => rej(new Error(`gohelper sumdb exited (code ${code}) before listening: ${stderr.trim()}`)));
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    untrack();
  };
  try {
    const info = await ready;
    return { ...info, gosumdb: `${info.vkey} ${info.url}`, requests, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** h1 of a module zip (dirhash.HashZip). */
export async function hashZipGo(file: string): Promise<string> {
  return (await runHelperJson<{ h1: string }>(['hash-zip', file])).h1;
}

/** go.sum "/go.mod" h1 of a go.mod file. */
export async function hashModGo(file: string): Promise<string> {
  return (await runHelperJson<{ h1: string }>(['hash-mod', file])).h1;
}

export interface GoFileError {
  path: string;
  err: string;
}

export interface GoCheckedFiles {
  valid: string[];
  omitted: GoFileError[];
  invalid: GoFileError[];
  sizeError: string | null;
  /** zip.CheckZip's error (null when the zip is valid) */
  error: string | null;
}

/** zip.CheckZip of a module zip for path@version. */
export function checkZipGo(opts: { path: string; version: string; file: string }): Promise<GoCheckedFiles> {
  return runHelperJson<GoCheckedFiles>(['check-zip', '-path', opts.path, '-version', opts.version, opts.file]);
}

export interface GoCreateZipResult {
  /** h1 of the created zip; absent when creation failed */
  h1?: string;
  /** zip.CreateFromDir's error, null on success */
  error: string | null;
  /** zip.CheckDir of the directory */
  check: GoCheckedFiles;
}

/** zip.CreateFromDir of dir as path@version into out. */
export function createZipGo(opts: { path: string; version: string; dir: string; out: string }): Promise<GoCreateZipResult> {
  return runHelperJson<GoCreateZipResult>(['create-zip', '-path', opts.path, '-version', opts.version, '-dir', opts.dir, '-out', opts.out]);
}

export interface GoPathCheck {
  path: string;
  checkPath: string | null;
  checkImportPath: string | null;
  checkFilePath: string | null;
}

/** module.CheckPath / CheckImportPath / CheckFilePath of p (null = valid). */
export function checkPathGo(p: string): Promise<GoPathCheck> {
  return runHelperJson<GoPathCheck>(['check-path', p]);
}

export interface GoEscape {
  path: string;
  escaped: string;
  error: string | null;
  escapedVersion: string;
  versionError: string | null;
  unescaped: string;
  unescapeError: string | null;
}

/** module.EscapePath / EscapeVersion / UnescapePath of p. */
export function escapePathGo(p: string): Promise<GoEscape> {
  return runHelperJson<GoEscape>(['escape-path', p]);
}

/** Writes files (relative slash paths → contents) under dir; a small helper for zip tests. */
export async function writeTree(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(dir, ...rel.split('/'));
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, content);
  }
}

/** Copies the fixture app into a fresh directory under parent (the go command rewrites go.mod). */
export async function copyFixtureApp(fixture: Fixture, parent: string): Promise<string> {
  const dest = join(parent, 'app');
  await cp(fixture.appDir, dest, { recursive: true });
  return dest;
}

export interface GoLogVerification {
  /** size of the latest tree */
  size: number;
  /** module@version of every record, in id order */
  records: string[];
  /** module@version recorded more than once */
  duplicates: string[];
  lookups: { module: string; lines: string[]; error: string | null }[];
  treesChecked: number;
  errors: string[];
}

/**
 * x/mod's verdict on a checksum database at url: sumdb.Client lookups of `lookups`
 * (MODULE@VERSION), every record proven in the latest tree, every note in `notes` proven a prefix
 * of it. Resolves with the report even when it found errors (they are in `errors`).
 */
export async function verifyLogGo(opts: { url: string; vkey: string; lookups?: readonly string[]; notes?: readonly string[] }): Promise<GoLogVerification> {
  const bin = await goHelperBinary();
  const dir = join(tmpdir(), `modgate-verify-log-${uniqueSuffix()}`);
  await mkdir(dir, { recursive: true });
  try {
    const args = ['verify-log', '-url', opts.url, '-vkey', opts.vkey];
    if (opts.lookups) {
      await writeFile(join(dir, 'lookups'), `${opts.lookups.join('\n')}\n`);
      args.push('-lookups', join(dir, 'lookups'));
    }
    if (opts.notes) {
      await writeFile(join(dir, 'notes.json'), JSON.stringify(opts.notes));
      args.push('-notes', join(dir, 'notes.json'));
    }
    const r = await runProcess(bin, args, { timeoutMs: 300_000 });
    if (r.stdout.trim() === '') throw new Error(`gohelper verify-log failed (exit ${r.code}): ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as GoLogVerification;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
