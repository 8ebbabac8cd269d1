// node:test reporter: the ten slowest test files (the runner's own duration of each file, from its
// file-level test:complete event), then the closing "N passed, N failed[, N skipped]" line (leaf
// tests only), which stays the last line.
import { relative } from 'node:path';

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
  yield `\n${summaryLines(fileMs, counts).join('\n')}\n`;
}
