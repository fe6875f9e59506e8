#!/usr/bin/env bash
# Prints the folder of a Go module in the module cache, downloading it from the module proxy if
# it is not there yet. On failure prints go's answer (e.g. the proxy refusing the version) on
# stderr and exits 1.
#
#   bash tools/module-dir.sh MODULE@VERSION
set -euo pipefail
(($# == 1)) || { echo "usage: tools/module-dir.sh MODULE@VERSION" >&2; exit 2; }
# Outside any module, so that no go.mod around the caller gets in the way.
cd "${TMPDIR:-/tmp}"
json="$(go mod download -json "$1" 2>&1)" || true
dir="$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$json")"
if [[ ! -d "$dir" ]]; then
  printf 'module-dir.sh: %s did not download:\n%s\n' "$1" "$json" >&2
  exit 1
fi
echo "$dir"
