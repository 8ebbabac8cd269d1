// `modgate sumdb keygen` (a signer key for modgate's own checksum database, and the client
// settings that trust it) and `modgate sumdb audit` (a witness that remembers the last tree head
// and fails loudly on a rewind or fork). Handlers return data; the action prints.
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ModgateError } from '../errors/modgate-error.js';
import { generateKey, isValidKeyName } from '../sumdb/note.js';
import { auditLog, type AuditResult } from '../sumdb/log-audit.js';
import { createSumdbTransport } from '../upstream/sumdb-transport.js';

export interface KeygenResult {
  readonly vkey: string;
  readonly keyFile: string;
  readonly settings: string;
}

/** Writes a new signer key for `name` to `out` (mode 0600, never overwriting) and returns the verifier key. */
export async function runKeygen(name: string, out: string, proxyUrl: string): Promise<KeygenResult> {
  if (!isValidKeyName(name) || !/^[A-Za-z0-9.-]+(\/[A-Za-z0-9._~-]+)*$/.test(name)) {
    throw new ModgateError('CONFIG_INVALID', `invalid checksum database name ${JSON.stringify(name)}`, {
      hint: 'use a host name you control, e.g. sum.corp.example.com (the go command treats it as host[/path])',
    });
  }
  const { skey, vkey } = generateKey(name);
  let fh;
  try {
    fh = await open(out, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new ModgateError('CONFIG_INVALID', `${out} already exists; refusing to overwrite a signer key`, { hint: 'choose another --out file (rotating the key is described in docs/own-sumdb.md)' });
    }
    throw err;
  }
  try {
    await fh.writeFile(`${skey}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  const base = proxyUrl.replace(/\/+$/, '');
  const settings = [
    `# Client settings: verification stays on for every module, private ones included.`,
    `# Through modgate as GOPROXY (the go command finds the database at ${base}/sumdb/${name}):`,
    `GOPROXY=${base}`,
    `GOSUMDB="${vkey}"`,
    `GONOSUMDB=`,
    `GOPRIVATE=`,
    `# Or naming the database URL itself:`,
    `GOSUMDB="${vkey} ${base}/sumdb/${name}"`,
    `# Serve it with:`,
    `modgate serve --own-sumdb ${name} --own-sumdb-key-file ${out}`,
  ].join('\n');
  return { vkey, keyFile: out, settings };
}

interface AuditState {
  readonly vkey: string;
  readonly note: string;
}

/** Audits the database at url; the state file keeps the verifier key and the last tree head. */
export async function runAudit(url: string, flags: { state?: string; key?: string; timeoutMs?: string }): Promise<AuditResult> {
  let state: AuditState | undefined;
  if (flags.state) {
    const text = await readFile(flags.state, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (text !== undefined) state = JSON.parse(text) as AuditState;
  }
  const vkey = flags.key ?? state?.vkey;
  if (!vkey) throw new ModgateError('CONFIG_INVALID', 'the verifier key is needed on the first audit', { hint: 'pass --key NAME+hash+key (printed by modgate sumdb keygen)' });
  if (state && flags.key && state.vkey !== flags.key) {
    throw new ModgateError('CONFIG_INVALID', `--key differs from the key in ${flags.state}`, { hint: 'a rotated key starts a new state file' });
  }
  const transport = createSumdbTransport({ name: vkey.split('+')[0]!, explicitUrl: url, proxies: [], timeoutMs: Number(flags.timeoutMs ?? 30000) });
  const result = await auditLog({ vkey, transport, previous: state ? Buffer.from(state.note, 'utf8') : undefined });
  if (flags.state) {
    const tmp = `${flags.state}.tmp-${process.pid}`;
    await writeFile(tmp, `${JSON.stringify({ vkey, note: result.note.toString('utf8') }, null, 2)}\n`);
    await rename(tmp, flags.state);
  }
  return result;
}

export function registerSumdbCommands(program: Command): void {
  const sumdb = program.command('sumdb').description("modgate's own checksum database: keys and auditing");
  sumdb
    .command('keygen')
    .description('create the signer key of modgate\'s own checksum database; prints the verifier key first')
    .argument('<name>', 'database name, e.g. sum.corp.example.com')
    .requiredOption('--out <file>', 'signer key file to create (mode 0600)')
    .option('--proxy-url <url>', 'modgate\'s URL for the printed client settings', 'https://modgate.example.com')
    .action(async (name: string, flags: { out: string; proxyUrl: string }) => {
      const r = await runKeygen(name, flags.out, flags.proxyUrl);
      process.stdout.write(`${r.vkey}\n${r.settings}\n`);
    });
  sumdb
    .command('audit')
    .description('witness a checksum database: check its latest tree head extends the one seen last (exit 1 on a fork or rewind)')
    .argument('<url>', 'database URL, e.g. https://modgate.example.com/sumdb/sum.corp.example.com')
    .option('--state <file>', 'file keeping the verifier key and the last tree head seen')
    .option('--key <vkey>', 'verifier key (needed when the state file does not exist yet)')
    .option('--timeout-ms <ms>', 'per-request timeout', '30000')
    .option('--json', 'machine-readable output')
    .action(async (url: string, flags: { state?: string; key?: string; timeoutMs?: string; json?: boolean }) => {
      const r = await runAudit(url, flags);
      const line = r.status === 'first'
        ? `ok: tree ${r.size} (${r.rootHash}) verified; no earlier tree to compare`
        : r.status === 'same' ? `ok: tree ${r.size} unchanged` : `ok: tree ${r.size} extends tree ${r.previousSize} (consistency proof checked)`;
      process.stdout.write(flags.json ? `${JSON.stringify({ ...r, note: r.note.toString('utf8') })}\n` : `${line}\n`);
    });
}
