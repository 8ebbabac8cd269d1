// `modgate prewarm`: parses flags, runs prewarm() (a progress bar on stderr only when it is a
// terminal), prints the summary table or --json report, and exits 1 if anything failed.
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { ModgateError } from '../errors/modgate-error.js';
import { formatJson, formatTable } from './output-table.js';
import { prewarm, type PrewarmReport } from '../service/prewarm-run.js';
import { readWalkInput } from './walk-input.js';

interface PrewarmFlags {
  proxy?: string;
  concurrency: string;
  retries: string;
  timeoutMs: string;
  json?: boolean;
}

function positiveInt(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new ModgateError('INVALID_REQUEST', `prewarm: ${name} must be an integer ≥ ${min}, not ${JSON.stringify(value)}`);
  return n;
}

/** The human-readable report: totals per file kind, then failures and skips with reasons. */
export function formatPrewarmReport(r: PrewarmReport): string {
  const rows = (['info', 'mod', 'zip', 'all'] as const).map((k) => [k === 'all' ? 'total' : `.${k}`, String(r.totals[k].fetched), String(r.totals[k].cached), String(r.totals[k].failed)]);
  let out = `prewarm through ${r.proxy}: ${r.modules.length} module versions from ${r.inputs.map((i) => `${i.input} (${i.kind})`).join(', ')}\n\n`;
  out += formatTable(['FILES', 'FETCHED', 'ALREADY CACHED', 'FAILED'], rows);
  if (r.failures.length > 0) out += `\nfailed:\n${formatTable(['MODULE', 'FILE', 'ATTEMPTS', 'REASON'], r.failures.map((f) => [f.module, `.${f.file}`, String(f.attempts), f.reason.replace(/\s+/g, ' ')]))}`;
  for (const e of r.errors) out += `\nerror: ${e}`;
  if (r.errors.length > 0) out += '\n';
  if (r.skipped.length > 0) out += `\nskipped:\n${formatTable(['MODULE', 'REASON'], r.skipped.map((s) => [s.module, s.reason]))}`;
  out += r.ok ? '\nok: everything is in the proxy\'s cache\n' : '\nFAILED: some files could not be fetched (see above)\n';
  return out;
}

export function registerPrewarm(program: Command): void {
  program
    .command('prewarm')
    .description('fetch what a go.mod, a go.sum or module@version needs through a proxy, so that it is cached')
    .argument('<inputs...>', 'go.mod or go.sum files, or module@version')
    .requiredOption('--proxy <url>', 'GOPROXY-protocol URL to fetch through (e.g. a modgate server)')
    .option('--concurrency <n>', 'parallel requests', '8')
    .option('--retries <n>', 'retries after network errors, timeouts, 429 and 5xx', '2')
    .option('--timeout-ms <n>', 'per-request headers/body-silence timeout (ms)', '120000')
    .option('--json', 'print the report as JSON')
    .action(async (inputs: string[], flags: PrewarmFlags) => {
      const showBar = process.stderr.isTTY && flags.json !== true;
      const bar = showBar ? new cliProgress.SingleBar({ stream: process.stderr, format: 'prewarm [{bar}] {value}/{total} {file}', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
      bar?.start(0, 0, { file: '' });
      let report: PrewarmReport;
      try {
        report = await prewarm({
          inputs: await Promise.all(inputs.map((a) => readWalkInput('prewarm', a))),
          proxy: flags.proxy ?? '',
          concurrency: positiveInt('--concurrency', flags.concurrency, 1),
          retries: positiveInt('--retries', flags.retries, 0),
          timeoutMs: positiveInt('--timeout-ms', flags.timeoutMs, 1),
          onProgress: (p) => {
            bar?.setTotal(p.total);
            bar?.update(p.done, { file: `${p.last.path}@${p.last.version}.${p.last.kind}` });
          },
        });
      } finally {
        bar?.stop();
      }
      process.stdout.write(flags.json === true ? formatJson(report) : formatPrewarmReport(report));
      if (!report.ok) process.exitCode = 1;
    });
}
