#!/usr/bin/env bash
# Sourced by every stub in bin/: records the call in $STUB_LOG, then fails if the test asked.
#
# A test asks for failures with a file $STUB_STATE/fail/<command>-<first argument> or
# $STUB_STATE/fail/<command>. Its first line is "<times> <exit code>", where <times> is
# "always" or how many calls still fail; the lines after it are printed to stderr.
set -euo pipefail

STUB_NAME="${0##*/}"
printf '%s\n' "$STUB_NAME $*" >>"$STUB_LOG"

# unexpected_call: a stub given arguments it does not model fails loudly, so a test never
# passes on a call nobody simulated.
unexpected_call() {
  printf '%s stub: unexpected call: %s\n' "$STUB_NAME" "$*" >&2
  exit 64
}

fail_if_asked() {
  local spec times code
  for spec in "$STUB_STATE/fail/$STUB_NAME-${1:-}" "$STUB_STATE/fail/$STUB_NAME"; do
    if [[ ! -f "$spec" ]]; then
      continue
    fi
    read -r times code <"$spec"
    if [[ "$times" == 0 ]]; then
      continue
    fi
    if [[ "$times" != always ]]; then
      { printf '%s %s\n' "$((times - 1))" "$code"; tail -n +2 "$spec"; } >"$spec.next"
      mv "$spec.next" "$spec"
    fi
    tail -n +2 "$spec" >&2
    exit "$code"
  done
}

fail_if_asked "$@"
