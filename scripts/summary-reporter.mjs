// node:test reporter: the ten slowest test files (the runner's own duration of each file, from its
// file-level test:complete event), then the closing "N passed, N failed[, N skipped]" line (leaf
// tests only), which stays the last line. With MODGATE_TEST_DURATIONS set to a JSON file, each
// file's duration is also merged into it (scripts/test-order.mjs starts the longest files first).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';

/** The printed lines for file durations (file → ms) and leaf counts. */
export function summaryLines(fileMs, counts, top = 10) {
  const slow = [...fileMs.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  const lines = [];
  if (slow.length > 0) {
    lines.push(`slowest test files (top ${slow.length}):`);
    for (const [file, ms] of slow) lines.push(`  ${(ms / 1000).toFixed(1).padStart(7)} s  ${file}`);
  }
  lines.push(`${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`);
  return lines;
}

/** Merges file → ms into the JSON file at `path` (written whole, then renamed into place). */
export function recordDurations(path, fileMs) {
  let known = {};
  try {
    known = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    // first run
  }
  for (const [file, ms] of fileMs) known[file] = Math.round(ms);
  const sorted = Object.fromEntries(Object.entries(known).sort(([a], [b]) => (a < b ? -1 : 1)));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.${process.pid}.tmp`, `${JSON.stringify(sorted, null, 1)}\n`);
  renameSync(`${path}.${process.pid}.tmp`, path);
}

export default async function* summaryReporter(source) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const fileMs = new Map();
  for await (const event of source) {
    const d = event.data;
    if (event.type === 'test:complete' && typeof d?.file === 'string' && d.name === d.file) {
      fileMs.set(relative(process.cwd(), d.file), d.details?.duration_ms ?? 0);
      continue;
    }
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (d.details?.type === 'suite') continue;
    if (d.skip || d.todo) counts.skipped++;
    else if (event.type === 'test:pass') counts.passed++;
    else counts.failed++;
  }
  if (process.env.MODGATE_TEST_DURATIONS) recordDurations(process.env.MODGATE_TEST_DURATIONS, fileMs);
  yield `\n${summaryLines(fileMs, counts).join('\n')}\n`;
}
