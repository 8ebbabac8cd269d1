// Runs every benchmark once, one after the other (never in parallel: they would measure each other),
// and rewrites the results section of BENCHMARKS.md (between the results markers) with the date,
// the machine, the exact command of each row and each script's details. A failing script becomes a
// "failed" row; the others still run.
// Usage: node --import tsx bench/run-all.ts [--only hit-throughput,soak] [--no-write]
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runProcess } from '../test/support/process-runner.js';
import { machineInfo } from './support/machine-info.js';
import { flag, note } from './support/bench-stats.js';

const ROOT = join(import.meta.dirname, '..');
const FILE = join(ROOT, 'BENCHMARKS.md');
const START = '<!-- results:start (written by bench/run-all.ts) -->';
const END = '<!-- results:end -->';

interface Entry {
  script: string;
  args: string[];
  timeoutS: number;
}

const ENTRIES: Entry[] = [
  { script: 'hit-throughput', args: [], timeoutS: 300 },
  { script: 'startup', args: [], timeoutS: 120 },
  { script: 'warm-build', args: [], timeoutS: 180 },
  { script: 'cold-build', args: [], timeoutS: 900 },
  { script: 'cold-build', args: ['--prefetch', 'false', '--rounds', '1'], timeoutS: 400 },
  { script: 'memory', args: [], timeoutS: 240 },
  { script: 'single-flight', args: [], timeoutS: 120 },
  { script: 'soak', args: [], timeoutS: 300 },
];

interface Outcome {
  command: string;
  rows: string[];
  details: string[];
  failed?: string;
  seconds: number;
}

/** Runs one script; its stderr goes to ours (progress), its stdout is parsed. */
function run(e: Entry): Promise<Outcome> {
  const command = ['node --import tsx', `bench/${e.script}.ts`, ...e.args].join(' ');
  note(`\n=== ${command}`);
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('bench', `${e.script}.ts`), ...e.args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errTail = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      process.stderr.write(d);
      errTail = (errTail + d).slice(-2000);
    });
    // SIGINT first so the script's own cleanup runs, SIGKILL if it does not exit
    const timer = setTimeout(() => {
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, e.timeoutS * 1000);
    const finish = (code: number | null): void => {
      clearTimeout(timer);
      const lines = out.split('\n');
      const rows = lines.filter((l) => l.startsWith('ROW ')).map((l) => l.slice(4).replace(/\|\s*$/, `| \`${command}\` |`));
      const details = lines.filter((l) => !l.startsWith('ROW '));
      const o: Outcome = { command, rows, details, seconds: (Date.now() - t0) / 1000 };
      if (code !== 0) o.failed = `exit ${code}: ${errTail.trim().split('\n').slice(-3).join(' / ')}`;
      resolve(o);
    };
    child.once('exit', finish);
    child.once('error', () => finish(-1));
  });
}

async function versionOf(cmd: string, args: string[]): Promise<string> {
  try {
    const r = await runProcess(cmd, args, { timeoutMs: 10_000 });
    return (r.stdout + r.stderr).split('\n')[0]!.trim();
  } catch {
    return `${cmd}: not installed`;
  }
}

const only = flag('only', '');
const write = !process.argv.includes('--no-write');
const picked = only === '' ? ENTRIES : ENTRIES.filter((e) => only.split(',').includes(e.script));
const outcomes: Outcome[] = [];
for (const e of picked) outcomes.push(await run(e));

const m = machineInfo();
const commit = (await runProcess('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT })).stdout.trim();
const dirty = (await runProcess('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT })).stdout.trim() !== '';
const lines: string[] = [
  START,
  '',
  `Run: ${new Date().toISOString()} — machine: ${m.nproc} cores (${m.cpu}), ${m.memory} RAM, shared with other work (see above); ` +
    `Node ${m.node}, ${m.go}, ${await versionOf('nginx', ['-v'])}, ${await versionOf('wrk', ['--version'])}; ` +
    `modgate at commit ${commit}${dirty ? ' plus uncommitted changes in src/ (dist/ as built at the time)' : ''}; ` +
    `total ${outcomes.reduce((a, o) => a + o.seconds, 0).toFixed(0)} s.`,
  '',
  '| benchmark | modgate | baseline | ratio | target | met | command |',
  '| --- | --- | --- | --- | --- | --- | --- |',
];
for (const o of outcomes) {
  lines.push(...o.rows);
  if (o.failed !== undefined) lines.push(`| ${o.command} | **failed** (${o.failed.replace(/\|/g, '\\|')}) | | | | | \`${o.command}\` |`);
}
for (const o of outcomes) {
  const d = o.details.join('\n').trim();
  if (d !== '') lines.push('', `Details of \`${o.command}\`:`, '', d);
}
lines.push('', END);
const section = lines.join('\n');
console.log(section);
if (write) {
  let text = '';
  try {
    text = await readFile(FILE, 'utf8');
  } catch {
    text = `# Benchmarks\n\n${START}\n${END}\n`;
  }
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  text = a >= 0 && b > a ? text.slice(0, a) + section + text.slice(b + END.length) : `${text.trimEnd()}\n\n## Results\n\n${section}\n`;
  await writeFile(FILE, text);
  note(`\nwrote ${FILE}`);
}
if (outcomes.some((o) => o.failed !== undefined)) process.exitCode = 1;
