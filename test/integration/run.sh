#!/usr/bin/env bash
# Real-component tier: real Spark (pyspark from PyPI), the S3A jars from Maven Central, a moto
# S3 server, the Spark History Server and JupyterLab, all on loopback, run with the Spark
# configuration that `npm run render` writes (plus test/integration/local_overrides.py).
#
#   bash test/integration/run.sh [pytest args...]      (npm run test:integration)
#
# Env: SPARKPLAT_CACHE (default ~/.cache/sparkplat) keeps the venv, pip downloads and jars;
# PYTHON (default python3, >= 3.9) builds the venv; SPARKPLAT_IT_KEEP=1 keeps the work dir.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${SPARKPLAT_CACHE:-$HOME/.cache/sparkplat}"
PYTHON="${PYTHON:-python3}"
RUN_ID="$(date +%s)-$$-$RANDOM"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sparkplat-it.XXXXXX")"
START=$SECONDS
PYTEST_PID=""

log() { printf '[integration %4ds] %s\n' "$((SECONDS - START))" "$*" >&2; }

# Processes of this run are found by their marker variable (pytest tears its servers down
# itself; this covers a killed pytest).
# shellcheck source=test/integration/leftovers.sh
source "$HERE/leftovers.sh"

# shellcheck disable=SC2317,SC2329  # the EXIT trap
cleanup() {
  local rc=$?
  if [[ -n "${PYTEST_PID:-}" ]]; then
    log "stopping pytest (its teardown stops the servers)"
    kill -TERM "$PYTEST_PID" 2>/dev/null || true
    wait "$PYTEST_PID" 2>/dev/null || true
  fi
  stop_leftovers "$RUN_ID"
  if [[ "${SPARKPLAT_IT_KEEP:-0}" == 1 ]]; then
    log "work dir kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  log "total $((SECONDS - START))s (exit $rc)"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- Java, render, venv, S3A jars (shared with bench/run.sh) ----------------------------
# shellcheck source=test/integration/setup.sh
source "$HERE/setup.sh"
log "setup done in $((SECONDS - START))s"

# --- the tests --------------------------------------------------------------------------------
# pytest runs in the background so that a TERM/INT to this script is handled at once: the trap
# stops pytest (whose teardown stops the servers), then sweeps what is left.
TESTS_START=$SECONDS
timeout --signal=TERM --kill-after=30 1500 \
  env SPARKPLAT_RENDER_DIR="$RENDER" SPARKPLAT_JAR_DIR="$JARS" SPARKPLAT_IT_RUN="$RUN_ID" SPARKPLAT_CONNECT_PYTHON="$CONNECT_PYTHON" \
  "$VENV/bin/python" -m pytest "$HERE" -q -rfE -p no:cacheprovider --basetemp "$WORK/pytest" "$@" &
PYTEST_PID=$!
rc=0
wait "$PYTEST_PID" || rc=$?
PYTEST_PID=""
if ((rc == 0)); then outcome=passed; else outcome="FAILED (exit $rc)"; fi
log "tests $outcome in $((SECONDS - TESTS_START))s (setup $((TESTS_START - START))s)"
exit "$rc"
