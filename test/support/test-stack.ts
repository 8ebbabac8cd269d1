// The shared before/after stack of the interop and e2e tests: the module fixture, a temp work dir,
// a file upstream over the fixture, the test checksum database, optionally s3rver + redis-server
// and one modgate; extra modgates/proxies/go envs started through it are stopped in after().
import { before, after } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixture, startSumdb, type Fixture, type FixtureModule, type SumdbServer } from './gohelper.js';
import { startFileProxy, type FileProxyServer } from './file-proxy-server.js';
import { startModgate, type ModgateProcess } from './modgate-process.js';
import { createGoEnv, type GoEnv, type GoEnvOptions } from './go-env.js';
import { startS3Server, type S3TestServer } from './s3-server.js';
import { startRedis, type RedisTestServer } from './redis-server.js';

export interface StackModgateOptions {
  /** cache directory name under the work dir (default "cache") */
  readonly cache?: string;
  /** --upstream value (default the stack's upstream); null leaves the flag out */
  readonly upstream?: string | null;
  /** --sumdb value (default the stack's database, GOSUMDB form); null leaves the flag out */
  readonly sumdb?: string | null;
  /** further serve arguments */
  readonly args?: readonly string[];
  readonly env?: Record<string, string>;
}

export interface TestStackOptions {
  /** names the temp work dir: modgate-<name>-XXXX */
  readonly name: string;
  /** start the test checksum database (default true); `{ log: true }` records its requests */
  readonly sumdb?: boolean | { readonly log?: boolean };
  /** start s3rver (stack.s3) and redis-server (stack.redis) */
  readonly s3?: boolean;
  readonly redis?: boolean;
  /** start one modgate in before() (stack.mg) with these options, computed once the rest runs */
  readonly modgate?: StackModgateOptions | ((stack: TestStack) => StackModgateOptions | Promise<StackModgateOptions>);
}

export interface TestStack {
  readonly fixture: Fixture;
  readonly work: string;
  readonly upstream: FileProxyServer;
  readonly sumdb: SumdbServer;
  readonly s3: S3TestServer;
  readonly redis: RedisTestServer;
  /** the modgate started by the `modgate` option */
  readonly mg: ModgateProcess;
  /** fixture modules that are real (not stubs) and in the app's build list */
  readonly mods: FixtureModule[];
  /** serve args the stack would pass for these options */
  modgateArgs(opts?: StackModgateOptions): string[];
  /** starts another modgate (killed in after()) */
  startModgate(opts?: StackModgateOptions): Promise<ModgateProcess>;
  /** starts another file proxy over dir (stopped in after()) */
  startProxy(dir: string): Promise<FileProxyServer>;
  /** a hermetic go env (removed in after()); GOFLAGS defaults to -modcacherw */
  goEnv(opts: GoEnvOptions): Promise<GoEnv>;
  /** runs fn in after(), before everything started earlier is stopped */
  defer(fn: () => Promise<unknown>): void;
  /**
   * Runs fn at the end of the stack's before(), once everything is started. Use this, not another
   * root before(): node:test 20 starts the next root before() hook without awaiting the previous one.
   */
  before(fn: () => Promise<unknown> | void): void;
}

/**
 * Registers before() and after() hooks that start and stop the stack; returns it at once. Its
 * fields may be read only inside tests and hooks registered after this call.
 */
export function useTestStack(opts: TestStackOptions): TestStack {
  const parts: Partial<Record<'fixture' | 'work' | 'upstream' | 'sumdb' | 's3' | 'redis' | 'mg' | 'mods', unknown>> = {};
  const cleanups: Array<() => Promise<unknown>> = [];
  const setups: Array<() => Promise<unknown> | void> = [];
  const part = <T>(key: keyof typeof parts): T => {
    if (parts[key] === undefined) throw new Error(`test stack: ${key} is not started (not requested, or read before the stack's before() ran)`);
    return parts[key] as T;
  };
  const stack: TestStack = {
    get fixture() { return part<Fixture>('fixture'); },
    get work() { return part<string>('work'); },
    get upstream() { return part<FileProxyServer>('upstream'); },
    get sumdb() { return part<SumdbServer>('sumdb'); },
    get s3() { return part<S3TestServer>('s3'); },
    get redis() { return part<RedisTestServer>('redis'); },
    get mg() { return part<ModgateProcess>('mg'); },
    get mods() { return part<FixtureModule[]>('mods'); },
    modgateArgs(m = {}) {
      const args = ['--cache-dir', join(stack.work, m.cache ?? 'cache')];
      const upstream = m.upstream === undefined ? stack.upstream.url : m.upstream;
      if (upstream !== null) args.push('--upstream', upstream);
      const sumdb = m.sumdb === undefined ? stack.sumdb.gosumdb : m.sumdb;
      if (sumdb !== null) args.push('--sumdb', sumdb);
      return [...args, ...(m.args ?? [])];
    },
    async startModgate(m = {}) {
      const p = await startModgate(m.env === undefined ? { args: stack.modgateArgs(m) } : { args: stack.modgateArgs(m), env: m.env });
      cleanups.push(() => p.kill());
      return p;
    },
    async startProxy(dir) {
      const p = await startFileProxy({ dir });
      cleanups.push(() => p.stop());
      return p;
    },
    async goEnv(g) {
      const env = await createGoEnv({ GOFLAGS: '-modcacherw', ...g });
      cleanups.push(() => env.cleanup());
      return env;
    },
    defer(fn) {
      cleanups.push(fn);
    },
    before(fn) {
      setups.push(fn);
    },
  };

  before(async () => {
    const fixture = await buildFixture();
    parts.fixture = fixture;
    parts.mods = fixture.manifest.modules.filter((m) => !m.stub && m.selected !== '');
    const work = await mkdtemp(join(tmpdir(), `modgate-${opts.name}-`));
    parts.work = work;
    cleanups.push(() => rm(work, { recursive: true, force: true }));
    const [upstream, sumdb, s3, redis] = await Promise.all([
      startFileProxy({ dir: fixture.proxyDir }),
      opts.sumdb === false ? Promise.resolve(undefined) : startSumdb({ proxyDir: fixture.proxyDir, log: typeof opts.sumdb === 'object' && opts.sumdb.log === true }),
      opts.s3 === true ? startS3Server() : Promise.resolve(undefined),
      opts.redis === true ? startRedis() : Promise.resolve(undefined),
    ]);
    for (const [key, p] of [['upstream', upstream], ['sumdb', sumdb], ['s3', s3], ['redis', redis]] as const) {
      if (p === undefined) continue;
      parts[key] = p;
      cleanups.push(() => p.stop());
    }
    if (opts.modgate !== undefined) {
      const m = typeof opts.modgate === 'function' ? await opts.modgate(stack) : opts.modgate;
      parts.mg = await stack.startModgate(m);
    }
    for (const fn of setups) await fn();
  });

  after(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  return stack;
}
