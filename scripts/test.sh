#!/usr/bin/env bash
# The whole test command (README, .ci/run): installs what is missing, type-checks, lints, builds,
# checks the import rules (.dependency-cruiser.cjs), then runs unit tests (src/**/*.test.ts) and
# integration/interop tests (test/**/*.test.ts), longest first.
# Usage: scripts/test.sh [test files...]   (no files = everything)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
echo "== engines"; node scripts/check-engines.mjs
echo "== typecheck"; npx tsc -p tsconfig.json --noEmit
echo "== lint"; npx eslint . --max-warnings 0
echo "== import rules"; npx depcruise src bin --config .dependency-cruiser.cjs --output-type err
echo "== build"; npx tsc -p tsconfig.build.json && node scripts/bundle.mjs
if [ $# -gt 0 ]; then files=("$@"); else
  mapfile -t files < <(find src test -name '*.test.ts' -not -path '*/node_modules/*')
fi
# Longest first (scripts/test-order.mjs), from the durations each run records.
mapfile -t files < <(node scripts/test-order.mjs "${files[@]}")
mkdir -p test-artifacts
echo "== tests (${#files[@]} files)"
MODGATE_TEST_DURATIONS="$PWD/test-artifacts/test-durations.json" exec node --import tsx --test --test-concurrency="${MODGATE_TEST_CONCURRENCY:-3}" --test-timeout=600000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=./scripts/summary-reporter.mjs --test-reporter-destination=stdout \
  "${files[@]}"
