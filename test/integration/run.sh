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

# End every process of this run that is still alive (pytest tears its servers down itself;
# this covers a killed pytest). Processes are found by this run's marker variable, by pid.
# shellcheck disable=SC2317  # called from the EXIT trap
stop_leftovers() {
  local pid left=() f
  for f in /proc/[0-9]*/environ; do
    pid="${f#/proc/}"
    pid="${pid%/environ}"
    [[ "$pid" == "$$" ]] && continue
    if grep -qsxz -- "SPARKPLAT_IT_RUN=$RUN_ID" "$f"; then
      left+=("$pid")
    fi
  done
  if ((${#left[@]})); then
    log "stopping leftover processes: ${left[*]}"
    kill -TERM "${left[@]}" 2>/dev/null || true
    sleep 3
    kill -KILL "${left[@]}" 2>/dev/null || true
  fi
}

# shellcheck disable=SC2317  # the EXIT trap
cleanup() {
  local rc=$?
  if [[ -n "${PYTEST_PID:-}" ]]; then
    log "stopping pytest (its teardown stops the servers)"
    kill -TERM "$PYTEST_PID" 2>/dev/null || true
    wait "$PYTEST_PID" 2>/dev/null || true
  fi
  stop_leftovers
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

# --- Java 17 (Spark 4 needs 17+) -------------------------------------------------------
java_major() {
  java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'
}
if ! command -v java >/dev/null 2>&1 || (($(java_major) < 17)); then
  log "installing openjdk-17-jre-headless"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi
if [[ -z "${JAVA_HOME:-}" ]]; then
  JAVA_HOME="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.home = //p')"
  export JAVA_HOME
fi
log "java $(java_major) at $JAVA_HOME"

# --- the render under test --------------------------------------------------------------
RENDER="$WORK/render"
if [[ ! -d "$ROOT/node_modules" ]]; then
  log "npm ci"
  (cd "$ROOT" && npm ci --no-audit --no-fund) >&2
fi
log "npm run render -- $RENDER"
(cd "$ROOT" && npm run --silent render -- "$RENDER") >&2
VERSIONS="$RENDER/versions.json"
pin() { "$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[sys.argv[2]][sys.argv[3]])' "$VERSIONS" "$1" "$2"; }
SPARK_VERSION="$(pin spark version)"
JUPYTERLAB_VERSION="$(pin jupyter jupyterlab)"

# --- venv: requirements.txt + the render's Spark and JupyterLab pins ----------------------
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else "Python >= 3.9 needed for pyspark 4")'
REQS="$WORK/requirements.txt"
{
  cat "$HERE/requirements.txt"
  echo "pyspark==$SPARK_VERSION"
  echo "jupyterlab==$JUPYTERLAB_VERSION"
} >"$REQS"
KEY="$({ "$PYTHON" -VV; cat "$REQS"; } | sha256sum | cut -c1-12)"
VENV="$CACHE/venv-$KEY"
if [[ ! -f "$VENV/.complete" ]]; then
  log "creating $VENV (pyspark==$SPARK_VERSION, jupyterlab==$JUPYTERLAB_VERSION)"
  rm -rf "$VENV"
  mkdir -p "$CACHE/pip"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
  # pyspark is a 400+ MB sdist: keep it in the cache so a new venv does not download it again.
  if ! compgen -G "$CACHE/pip/pyspark-$SPARK_VERSION.tar.gz" >/dev/null; then
    "$VENV/bin/python" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
      -d "$CACHE/pip" "pyspark==$SPARK_VERSION"
  fi
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --find-links "$CACHE/pip" -r "$REQS"
  touch "$VENV/.complete"
  # Older venvs and pyspark downloads (other pins) take a GB each: keep only the current ones.
  for old in "$CACHE"/venv-* "$CACHE"/pip/pyspark-*.tar.gz; do
    case "$old" in
      "$VENV" | "$CACHE/pip/pyspark-$SPARK_VERSION.tar.gz") ;;
      *)
        if [[ -e "$old" ]]; then
          log "removing stale $old"
          rm -rf "$old"
        fi
        ;;
    esac
  done
else
  log "venv $VENV"
fi

# --- S3A jars (sha256-checked) -------------------------------------------------------------
JARS="$WORK/s3a-jars"
"$VENV/bin/python" "$HERE/jars.py" "$VERSIONS" "$CACHE/m2" "$JARS" >&2
log "setup done in $((SECONDS - START))s"

# --- the tests --------------------------------------------------------------------------------
# pytest runs in the background so that a TERM/INT to this script is handled at once: the trap
# stops pytest (whose teardown stops the servers), then sweeps what is left.
TESTS_START=$SECONDS
timeout --signal=TERM --kill-after=30 1500 \
  env SPARKPLAT_RENDER_DIR="$RENDER" SPARKPLAT_JAR_DIR="$JARS" SPARKPLAT_IT_RUN="$RUN_ID" \
  "$VENV/bin/python" -m pytest "$HERE" -q -rfE -p no:cacheprovider --basetemp "$WORK/pytest" "$@" &
PYTEST_PID=$!
rc=0
wait "$PYTEST_PID" || rc=$?
PYTEST_PID=""
if ((rc == 0)); then outcome=passed; else outcome="FAILED (exit $rc)"; fi
log "tests $outcome in $((SECONDS - TESTS_START))s (setup $((TESTS_START - START))s)"
exit "$rc"
