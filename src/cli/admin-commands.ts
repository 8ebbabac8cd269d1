// `modgate stats | purge | gc | audit` against a running server's admin API: handlers return the server's
// answer; the entry point prints a table (or --json); failures exit non-zero with the server's reason.
import type { Command } from 'commander';
import { request } from 'undici';
import { ModgateError } from '../errors/modgate-error.js';
import { formatJson, formatTable } from './output-table.js';

interface AdminFlags {
  server: string;
  token?: string;
  json?: boolean;
}

async function callAdmin<T>(flags: AdminFlags, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const token = flags.token ?? process.env.MODGATE_ADMIN_TOKEN;
  if (!token) throw new ModgateError('UNAUTHORIZED', 'an admin token is needed', { hint: 'pass --token or set MODGATE_ADMIN_TOKEN' });
  const url = `${flags.server.replace(/\/+$/, '')}/admin${path}`;
  let res;
  try {
    res = await request(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      headersTimeout: 120_000,
      bodyTimeout: 600_000,
    });
  } catch (err) {
    throw new ModgateError('UPSTREAM_ERROR', `cannot reach ${flags.server}: ${(err as Error).message}`, { cause: err });
  }
  const text = await res.body.text();
  if (res.statusCode !== 200) {
    const code = res.statusCode === 401 ? 'UNAUTHORIZED' : res.statusCode === 403 ? 'FORBIDDEN' : res.statusCode === 400 ? 'INVALID_REQUEST' : 'UPSTREAM_ERROR';
    throw new ModgateError(code, `${flags.server}: ${res.statusCode}: ${text.trim()}`);
  }
  return JSON.parse(text) as T;
}

const human = (n: number): string => (n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GiB` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

interface Stats {
  cache: { objects: number; bytes: number; versions: number; modules: number };
  totals: { requests: number; hits: number; misses: number; errors: number; hitRatio: number | null };
  upstreams: Array<{ name: string; requests: number; errors: number; p50Ms: number | null; p99Ms: number | null; lastError?: string }>;
}
interface PurgeAnswer {
  dryRun: boolean;
  removed: Array<{ module: string; version?: string; files: number }>;
  bytes: number;
}
interface GcAnswer {
  dryRun: boolean;
  removed: Array<{ module: string; version: string; bytes: number }>;
  freedBytes: number;
  keptPinned: number;
  totalBytes: number;
}

export const runStats = (flags: AdminFlags) => callAdmin<Stats>(flags, 'GET', '/stats');
export const runPurge = (flags: AdminFlags & { module?: string; version?: string; pattern?: string; dryRun?: boolean }) =>
  callAdmin<PurgeAnswer>(flags, 'POST', '/purge', {
    ...(flags.module ? { module: flags.module } : {}),
    ...(flags.version ? { version: flags.version } : {}),
    ...(flags.pattern ? { pattern: flags.pattern } : {}),
    dryRun: flags.dryRun === true,
  });
export const runGc = (flags: AdminFlags & { maxBytes?: string; dryRun?: boolean }) =>
  callAdmin<GcAnswer>(flags, 'POST', '/gc', { ...(flags.maxBytes !== undefined ? { maxBytes: Number(flags.maxBytes) } : {}), dryRun: flags.dryRun === true });

interface AuditAnswer {
  records: Array<{ time: string; identity: string; ip: string; method: string; module: string; version?: string; kind: string; status: number }>;
}

export const runAudit = (flags: AdminFlags & { module?: string; version?: string; identity?: string; since?: string; limit?: string }) => {
  const q = new URLSearchParams();
  for (const k of ['module', 'version', 'identity', 'since', 'limit'] as const) if (flags[k] !== undefined) q.set(k, flags[k]);
  return callAdmin<AuditAnswer>(flags, 'GET', `/audit?${q.toString()}`);
};

export const formatAudit = (a: AuditAnswer): string =>
  a.records.length === 0
    ? 'no matching requests\n'
    : formatTable(['TIME', 'IDENTITY', 'ADDRESS', 'MODULE', 'VERSION', 'KIND', 'STATUS'], a.records.map((r) => [r.time, r.identity, r.ip, r.module, r.version ?? '-', r.kind, String(r.status)]));

export function formatStats(s: Stats): string {
  const ratio = s.totals.hitRatio === null ? '-' : `${(s.totals.hitRatio * 100).toFixed(1)} %`;
  let out = `cache: ${s.cache.modules} modules, ${s.cache.versions} versions, ${s.cache.objects} files, ${human(s.cache.bytes)}\n`;
  out += `requests: ${s.totals.requests} (hits ${s.totals.hits}, misses ${s.totals.misses}, errors ${s.totals.errors}), hit ratio ${ratio}\n\n`;
  out += formatTable(['UPSTREAM', 'REQUESTS', 'ERRORS', 'P50 MS', 'P99 MS', 'LAST ERROR'], s.upstreams.map((u) => [u.name, String(u.requests), String(u.errors), String(u.p50Ms ?? '-'), String(u.p99Ms ?? '-'), u.lastError ?? '']));
  return out;
}

function withAdminFlags(cmd: Command): Command {
  return cmd
    .requiredOption('--server <url>', 'the modgate server, e.g. http://modgate:3000')
    .option('--token <token>', 'admin token (default $MODGATE_ADMIN_TOKEN)')
    .option('--json', 'machine-readable output');
}

export function registerAdminCommands(program: Command): void {
  withAdminFlags(program.command('stats').description('cache and traffic statistics of a running server')).action(async (flags: AdminFlags) => {
    const s = await runStats(flags);
    process.stdout.write(flags.json ? formatJson(s) : formatStats(s));
  });
  withAdminFlags(program.command('purge').description('remove a module, a version, or every module matching a pattern from a running server\'s cache'))
    .option('--module <path>', 'module path')
    .option('--version <version>', 'only this version (with --module)')
    .option('--pattern <globs>', 'GOPRIVATE-style patterns instead of --module')
    .option('--dry-run', 'only report what would be removed')
    .action(async (flags: AdminFlags & { module?: string; version?: string; pattern?: string; dryRun?: boolean }) => {
      const r = await runPurge(flags);
      if (flags.json) process.stdout.write(formatJson(r));
      else {
        process.stdout.write(`${r.dryRun ? 'would remove' : 'removed'} ${r.removed.length} entr${r.removed.length === 1 ? 'y' : 'ies'}, ${human(r.bytes)}\n`);
        if (r.removed.length > 0) process.stdout.write(formatTable(['MODULE', 'VERSION', 'FILES'], r.removed.map((x) => [x.module, x.version ?? '(all)', String(x.files)])));
      }
    });
  withAdminFlags(program.command('audit').description('who fetched which module@version when (newest first)'))
    .option('--module <path>', 'module path')
    .option('--version <version>', 'only this version (with --module)')
    .option('--identity <name>', 'only this identity (name or jwt:<subject>)')
    .option('--since <time>', 'RFC 3339 time or a duration back from now: 30m, 24h, 7d')
    .option('--limit <n>', 'most records shown (default 1000)')
    .action(async (flags: AdminFlags & { module?: string; version?: string; identity?: string; since?: string; limit?: string }) => {
      const a = await runAudit(flags);
      process.stdout.write(flags.json ? formatJson(a) : formatAudit(a));
    });
  withAdminFlags(program.command('gc').description('remove least recently used versions until the cache fits a size budget'))
    .option('--max-bytes <n>', 'size budget in bytes (default: the server\'s --gc-max-bytes)')
    .option('--dry-run', 'only report what would be removed')
    .action(async (flags: AdminFlags & { maxBytes?: string; dryRun?: boolean }) => {
      const r = await runGc(flags);
      if (flags.json) process.stdout.write(formatJson(r));
      else {
        process.stdout.write(`${r.dryRun ? 'would free' : 'freed'} ${human(r.freedBytes)} of ${human(r.totalBytes)} (${r.removed.length} versions; ${r.keptPinned} pinned by prewarm kept)\n`);
        if (r.removed.length > 0) process.stdout.write(formatTable(['MODULE', 'VERSION', 'BYTES'], r.removed.map((x) => [x.module, x.version, human(x.bytes)])));
      }
    });
}
