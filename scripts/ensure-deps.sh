#!/usr/bin/env bash
# Installs what the tests need when it is missing: Debian packages (Go toolchain, x/mod, the Go module
# sources the interop fixture is built from — every package of test/gohelper/fixture-modules.txt —,
# git, redis, chromium) and npm dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(golang-go golang-golang-x-mod-dev golang-golang-x-crypto-dev git redis-server chromium)
mapfile -t FIXTURE_DEBS < <(awk '!/^#/ && NF == 2 { print $2 }' test/gohelper/fixture-modules.txt | sort -u)
DEBS+=("${FIXTURE_DEBS[@]}")
missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "ensure-deps: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "ensure-deps: npm ci"
  npm ci --no-fund --no-audit >/dev/null
fi
