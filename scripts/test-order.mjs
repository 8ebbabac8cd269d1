// The order scripts/test.sh hands test files to node:test (which starts them in that order, N at
// a time): longest first, so the run does not end with one long file alone. Durations come from the
// last runs on this machine (test-artifacts/test-durations.json, written by summary-reporter.mjs),
// else from scripts/test-durations.json (checked in: a copy of that file after a whole run); a file
// in neither counts as long when it is an integration test (test/), short when it is a unit test.
// Usage: node scripts/test-order.mjs FILE...   (prints the files, one a line)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const UNKNOWN_INTEGRATION_MS = 60_000;
const UNKNOWN_UNIT_MS = 2_000;

/** The files, longest first by `known` (file → ms) or the default for their kind; ties by name. */
export function orderFiles(files, known) {
  const ms = (f) => known[f] ?? (f.startsWith('test/') ? UNKNOWN_INTEGRATION_MS : UNKNOWN_UNIT_MS);
  return [...files].sort((a, b) => ms(b) - ms(a) || (a < b ? -1 : a > b ? 1 : 0));
}

/** file → ms from the first of these JSON files that can be read ({} if none). */
export function readDurations(paths) {
  for (const p of paths) {
    try {
      return JSON.parse(readFileSync(p, 'utf8'));
    } catch {
      // not there (fresh clone) or unreadable: try the next
    }
  }
  return {};
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const known = readDurations(['test-artifacts/test-durations.json', 'scripts/test-durations.json']);
  for (const f of orderFiles(process.argv.slice(2), known)) console.log(f);
}
