// Every `modgate …` command shown in README.md and docs/*.md runs as written (issue 14): each is
// run by bash with local stand-ins for what it names — the fixture upstream for public proxies,
// the test checksum database for sum.golang.org, a modgate over the fixture for the modgate the
// examples talk to, s3rver and redis-server for the scale-out example, temp dirs for paths, env
// for keys — and fails when it does not start or exits non-zero. `serve` commands must print their
// listening line and answer /healthz, and stop cleanly at the end of their document; the other
// commands of a document run in order after them (an example may use a server started above it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import { Agent, fetch as undiciFetch } from 'undici';
import { extractModgateCommands, type DocCommand } from '../support/doc-commands.js';
import { runProcess, trackChild } from '../support/process-runner.js';
import { runGoHashes } from '../support/go-hashes.js';
import { startS3Server, type S3TestServer } from '../support/s3-server.js';
import { useTestStack } from '../support/test-stack.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DOC_FILES = async () => ['README.md', ...(await readdir(join(REPO, 'docs'))).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

/** Commands that cannot run here, with the reason (keep this list small and true). */
const NOT_RUN: ReadonlyArray<{ readonly file: string; readonly match: RegExp; readonly reason: string }> = [];

/** What a document's commands have produced so far (a server they talk to, a key they print). */
interface DocContext {
  readonly cwd: string;
  served?: string;
  vkey?: string;
}

interface StandIns {
  readonly upstream: string;
  readonly modgate: string;
  readonly gosumdb: string;
  readonly s3: S3TestServer;
  readonly redis: string;
  readonly cacheDir: string;
  readonly etcDir: string;
  readonly stateDir: string;
  readonly textVersion: string;
}

/**
 * The command with each host, path and placeholder it names replaced by its local stand-in; the
 * first word (modgate, ./bin/modgate) runs this checkout's bin/modgate through PATH.
 */
function localize(text: string, s: StandIns, ctx: DocContext): string {
  const replacements: Array<[RegExp, (match: string) => string]> = [
    [/^(?:\.\/)?(?:bin\/)?modgate\b/, () => 'modgate'],
    [/--listen \S+/g, () => '--listen 127.0.0.1:0'],
    // a serve example without --listen would take the default port 3000: any free port stands in
    [/^modgate serve\b(?:(?!--listen).)*$/, (m) => `${m} --listen 127.0.0.1:0`],
    [/https:\/\/(?:proxy\.golang\.org|goproxy\.io)/g, () => s.upstream],
    [/http:\/\/(?:127\.0\.0\.1|modgate\.internal):3000/g, () => s.modgate],
    // keygen only prints it: replaced once the document's own server runs
    [/https:\/\/modgate\.corp\.example\.com/g, () => ctx.served ?? 'https://modgate.corp.example.com'],
    [/http:\/\/127\.0\.0\.1:9000/g, () => s.s3.endpoint],
    [/redis:\/\/127\.0\.0\.1:6379/g, () => s.redis],
    [/--sumdb sum\.golang\.org/g, () => `--sumdb '${s.gosumdb}'`],
    [/sum\.corp\.example\.com\+1a2b3c4d\+AbC\.\.\.=/g, () => ctx.vkey ?? 'no-key-printed-yet'],
    [/golang\.org\/x\/text@v0\.14\.0/g, () => `golang.org/x/text@${s.textVersion}`],
    [/\/var\/cache\/modgate/g, () => s.cacheDir],
    [/\/etc\/modgate\//g, () => `${s.etcDir}/`],
    [/\/var\/lib\/witness\//g, () => `${s.stateDir}/`],
  ];
  return replacements.reduce((t, [re, to]) => t.replace(re, to), text);
}

// The modgate the examples talk to (http://127.0.0.1:3000, modgate.internal:3000); its cache is
// the examples' /var/cache/modgate.
const ADMIN_TOKEN = 'docs-admin-token';
const stack = useTestStack({ name: 'docs', redis: true, modgate: { cache: 'var-cache-modgate', args: ['--admin-tokens', ADMIN_TOKEN] } });
/** The CA the TLS examples' certificate is checked against (/etc/modgate/tls/cert.pem, self-signed for 127.0.0.1). */
let tlsCa: string;
let standIns: StandIns;
let baseEnv: NodeJS.ProcessEnv;
let docs: Array<{ file: string; commands: DocCommand[] }>;
/** At most two commands starting at once (the machine has two cores). */
const starting = pLimit(2);

stack.before(async () => {
  const s3 = await startS3Server({ bucket: 'modgate-cache' });
  stack.defer(() => s3.stop());
  const etcDir = join(stack.work, 'etc-modgate');
  const stateDir = join(stack.work, 'var-lib-witness');
  const bin = join(stack.work, 'bin');
  await Promise.all([mkdir(etcDir), mkdir(stateDir), mkdir(bin)]);
  await writeFile(join(etcDir, 'token'), `${ADMIN_TOKEN}\n`);
  // /etc/modgate/policy.json is the policy file docs/version-policy.md shows.
  const policyDoc = await readFile(join(REPO, 'docs', 'version-policy.md'), 'utf8');
  await writeFile(join(etcDir, 'policy.json'), /```json\n([\s\S]*?)```/.exec(policyDoc)![1]!);
  await mkdir(join(etcDir, 'tls'));
  const cert = await runProcess('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(etcDir, 'tls', 'key.pem'), '-out', join(etcDir, 'tls', 'cert.pem')], { timeoutMs: 60_000 });
  assert.equal(cert.code, 0, cert.stderr);
  tlsCa = await readFile(join(etcDir, 'tls', 'cert.pem'), 'utf8');
  await writeFile(join(bin, 'modgate'), `#!/bin/sh\nexec '${process.execPath}' '${join(REPO, 'bin', 'modgate')}' "$@"\n`);
  await chmod(join(bin, 'modgate'), 0o755);
  const text = stack.fixture.manifest.modules.find((m) => m.path === 'golang.org/x/text')!;
  standIns = {
    upstream: stack.upstream.url,
    modgate: stack.mg.url,
    gosumdb: stack.sumdb.gosumdb,
    s3,
    redis: stack.redis.url,
    cacheDir: join(stack.work, 'var-cache-modgate'),
    etcDir,
    stateDir,
    textVersion: text.selected,
  };
  const go = await stack.goEnv({ GOPROXY: `${stack.mg.url},direct`, GOSUMDB: stack.sumdb.gosumdb });
  baseEnv = {
    ...go.env,
    PATH: `${bin}:${go.env.PATH ?? ''}`,
    // sum.golang.org, modgate's default checksum database, stands in as the test database
    MODGATE_SUMDB: stack.sumdb.gosumdb,
    // the admin token the examples' modgate accepts (modgate stats/purge/gc/audit read it from here)
    MODGATE_ADMIN_TOKEN: ADMIN_TOKEN,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_REGION: s3.region,
  };
  // What `export --cache-dir /var/cache/modgate` exports must be in that cache.
  const project = join(stack.work, 'prewarm-project');
  await exampleProject(project);
  for (const what of ['go.mod', 'tools/go.sum', `golang.org/x/text@${text.selected}`]) {
    const r = await runProcess('modgate', ['prewarm', what, '--proxy', stack.mg.url], { cwd: project, env: baseEnv, timeoutMs: 180_000 });
    assert.equal(r.code, 0, `prewarm ${what}: ${r.stdout}${r.stderr}`);
  }
  docs = await Promise.all((await DOC_FILES()).map(async (file) => ({ file, commands: extractModgateCommands(file, await readFile(join(REPO, file), 'utf8')) })));
});

/** The project the examples run in: a small go.mod, its go.sum and tools/go.sum, from the fixture. */
async function exampleProject(dir: string): Promise<void> {
  const cobra = stack.fixture.manifest.modules.find((m) => m.path === 'github.com/spf13/cobra')!;
  const yaml = stack.fixture.manifest.modules.find((m) => m.path === 'gopkg.in/yaml.v3')!;
  await mkdir(join(dir, 'tools'), { recursive: true });
  await writeFile(join(dir, 'go.mod'), `module example.com/docs\n\ngo 1.17\n\nrequire github.com/spf13/cobra ${cobra.selected}\n`);
  const sum = async (m: { path: string; selected: string }) => {
    const h = await runGoHashes(stack.fixture.proxyDir, m.path, m.selected);
    return `${m.path} ${m.selected} ${h.zip}\n${m.path} ${m.selected}/go.mod ${h.mod}\n`;
  };
  await writeFile(join(dir, 'go.sum'), await sum(cobra));
  await writeFile(join(dir, 'tools', 'go.sum'), await sum(yaml));
}

interface Running {
  readonly url: string;
  stop(): Promise<{ code: number | null; output: string }>;
}

/** Starts a `serve` example; resolves once it printed its listening line and /healthz answers 200. */
async function startServe(command: string, cwd: string): Promise<Running> {
  const child = spawn('bash', ['-c', `exec ${command}`], { cwd, env: baseEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const untrack = trackChild(child);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line within 90 s:\n${output}`)), 90_000);
    const onData = (d: Buffer) => {
      output += d.toString('utf8');
      const m = /modgate listening on (https?:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before listening:\n${output}`));
    });
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    untrack();
    throw err;
  });
  const health = await undiciFetch(`${url}/healthz`, url.startsWith('https:') ? { dispatcher: new Agent({ connect: { ca: tlsCa } }) } : {});
  assert.equal(health.status, 200, `${url}/healthz: ${health.status} ${await health.text()}\n${output}`);
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      const code = await exited;
      untrack();
      return { code, output };
    },
  };
}

/** Runs one example in the document's context: a server stays up until the document is done. */
async function runExample(c: DocCommand, ctx: DocContext, servers: Running[]): Promise<void> {
  const command = localize(c.text, standIns, ctx);
  if (command.split(/\s+/)[1] === 'serve') {
    const server = await starting(() => startServe(command, ctx.cwd));
    servers.push(server);
    ctx.served ??= server.url;
    return;
  }
  const r = await starting(() => runProcess('bash', ['-o', 'pipefail', '-c', command], { cwd: ctx.cwd, env: baseEnv, timeoutMs: 180_000 }));
  assert.equal(r.code, 0, `exit ${r.code}\n$ ${command}\n${r.stdout}${r.stderr}`);
  if (/^modgate sumdb keygen /.test(command)) ctx.vkey = r.stdout.split('\n')[0]!.trim();
}

test('every modgate command shown in README.md and docs/ runs as written', { concurrency: true }, async (t) => {
  const total = docs.reduce((n, d) => n + d.commands.length, 0);
  assert.ok(total >= 15, `only ${total} commands found`);
  for (const skip of NOT_RUN) assert.ok(docs.some((d) => d.file === skip.file && d.commands.some((c) => skip.match.test(c.text))), `NOT_RUN entry matches nothing: ${skip.file} ${skip.match}`);
  const started = performance.now();
  await Promise.all(docs.filter((d) => d.commands.length > 0).map(async (doc) => {
    const ctx: DocContext = { cwd: await mkdtemp(join(stack.work, `${doc.file.replace(/\W+/g, '-')}-`)) };
    await exampleProject(ctx.cwd);
    const servers: Running[] = [];
    try {
      for (const c of doc.commands) {
        const skip = NOT_RUN.find((n) => n.file === c.file && n.match.test(c.text));
        await t.test(`${c.file}:${c.line} ${c.text}`, skip ? { skip: skip.reason } : {}, () => runExample(c, ctx, servers));
      }
    } finally {
      for (const s of servers) {
        const { code, output } = await s.stop();
        assert.equal(code, 0, `${doc.file}: a server did not stop cleanly (exit ${code}):\n${output}`);
      }
    }
  }));
  console.log(`docs examples: ${total} commands in ${((performance.now() - started) / 1000).toFixed(1)} s`);
});

test('the check fails a command that exits non-zero, and a server that does not start', async () => {
  const ctx: DocContext = { cwd: await mkdtemp(join(stack.work, 'failing-')) };
  const servers: Running[] = [];
  await assert.rejects(runExample({ file: 'x.md', line: 1, text: 'modgate prewarm ./missing.mod --proxy http://127.0.0.1:3000' }, ctx, servers), /exit [1-9]/);
  await assert.rejects(runExample({ file: 'x.md', line: 2, text: 'modgate serve --cache-dir /var/cache/modgate --no-such-flag' }, ctx, servers), /before listening/);
  assert.equal(servers.length, 0);
});
