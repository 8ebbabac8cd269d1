// `modgate doctor`: parses flags, runs doctor(), prints the mirror table and findings (or --json),
// and exits 0 (healthy), 1 (warnings) or 2 (errors).
import type { Command } from 'commander';
import { ModgateError } from '../errors/modgate-error.js';
import { formatJson, formatTable } from './output-table.js';
import { doctor, type DoctorReport } from './doctor-run.js';

interface DoctorFlags {
  json?: boolean;
  timeoutMs: string;
  go?: string;
  probeModule: string;
}

/** The human-readable report. */
export function formatDoctorReport(r: DoctorReport): string {
  const s = r.settings;
  let out = `Go settings (from ${r.source}${r.goVersion !== undefined ? `, ${r.goVersion}` : ''}):\n`;
  out += formatTable(['NAME', 'VALUE'], (['GOPROXY', 'GOSUMDB', 'GOPRIVATE', 'GONOPROXY', 'GONOSUMDB', 'GOINSECURE', 'GOFLAGS', 'GOMODCACHE'] as const).map((k) => [k, s[k]]));
  out += '\nMirrors (GOPROXY order):\n';
  const rows = r.mirrors.map((m) => [m.entry, m.separator, m.state, m.latencyMs === undefined ? '-' : `${m.latencyMs} ms`, m.proxiesSumdb === undefined ? '-' : m.proxiesSumdb ? 'yes' : 'no', m.detail]);
  if (r.sumdb) rows.push([`${r.sumdb.url} (checksum DB ${r.sumdb.name})`, '', r.sumdb.state, r.sumdb.latencyMs === undefined ? '-' : `${r.sumdb.latencyMs} ms`, '-', r.sumdb.detail]);
  out += formatTable(['ENTRY', 'SEP', 'STATE', 'LATENCY', 'SUMDB', 'DETAIL'], rows);
  out += `\nModule cache: ${r.cache.exists ? `${(r.cache.bytes / 2 ** 20).toFixed(1)} MiB in ${r.cache.files} files${r.cache.oldest !== undefined ? `, oldest ${r.cache.oldest.slice(0, 10)}` : ''}` : 'empty'} (${r.cache.dir})\n`;
  if (r.goMod) out += `go.mod: ${r.goMod.module} (${r.goMod.requirements} requirements checked for private paths)\n`;
  out += '\n';
  if (r.findings.length === 0) out += 'No problems found.\n';
  for (const f of r.findings) out += `${f.severity.toUpperCase()} [${f.id}] ${f.message}\n  fix: ${f.fix}\n`;
  out += `\n${r.exitCode === 0 ? 'healthy' : r.exitCode === 1 ? 'warnings' : 'errors'} (exit ${r.exitCode})\n`;
  return out;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the Go module settings, proxies and checksum database of this environment')
    .option('--json', 'print the report as JSON')
    .option('--timeout-ms <n>', 'timeout of each network check (ms)', '5000')
    .option('--go <path>', 'go binary to ask for `go env -json` (env MODGATE_DOCTOR_GO; default go)')
    .option('--probe-module <path>', 'public module whose version list probes each proxy', 'golang.org/x/mod')
    .action(async (flags: DoctorFlags) => {
      const timeoutMs = Number(flags.timeoutMs);
      if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new ModgateError('INVALID_REQUEST', `doctor: --timeout-ms must be a positive integer, not ${JSON.stringify(flags.timeoutMs)}`);
      const report = await doctor({
        env: process.env,
        cwd: process.cwd(),
        goBinary: flags.go ?? (process.env.MODGATE_DOCTOR_GO || 'go'),
        timeoutMs,
        probeModule: flags.probeModule,
      });
      process.stdout.write(flags.json === true ? formatJson(report) : formatDoctorReport(report));
      process.exitCode = report.exitCode;
    });
}
