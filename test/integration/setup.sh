# shellcheck shell=bash
# Shared setup of the real-component tier, sourced by test/integration/run.sh and bench/run.sh:
# Java 17+, `npm run render`, the cached venv (requirements.txt + the render's pyspark and
# JupyterLab pins) and the sha256-checked S3A jars.
#
# The caller sets ROOT (repo), WORK (its temp dir), CACHE, PYTHON and a `log` function; this
# sets JAVA_HOME (exported), RENDER, VERSIONS, SPARK_VERSION, JUPYTERLAB_VERSION, VENV, CONNECT_PYTHON
# (the Spark Connect thin client's python; empty when the render has no server) and JARS.
# shellcheck disable=SC2034  # the variables are the caller's outputs

SETUP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

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
# The Spark Connect client's pins, space-separated (versions.ts sparkConnect.clientPackages).
CONNECT_PINS="$(pin sparkConnect clientPackages)"

# --- venv: requirements.txt + the render's Spark and JupyterLab pins ----------------------
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else "Python >= 3.9 needed for pyspark 4")'
REQS="$WORK/requirements.txt"
{
  cat "$SETUP_DIR/requirements.txt"
  echo "pyspark==$SPARK_VERSION"
  echo "jupyterlab==$JUPYTERLAB_VERSION"
  # The notebook kernel's Spark Connect client, as JupyterLab's pod installs it.
  tr ' ' '\n' <<<"$CONNECT_PINS"
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
else
  log "venv $VENV"
fi
touch "$VENV/.used"
# Venvs and pyspark downloads of other pins take a GB each. Another checkout's run (CI on this
# machine) may be using one: only those unused for a day go (a venv's .used, a download's own time).
remove_stale() {
  local old
  for old in "$@"; do
    if [[ -e "$old" && -z "$(find "$old" -maxdepth 1 \( -path "$old" -o -name .used \) -mmin -1440 -print -quit)" ]]; then
      log "removing $old (other pins, unused for a day)"
      rm -rf "$old"
    fi
  done
}
for old in "$CACHE"/venv-* "$CACHE"/pip/pyspark-*.tar.gz; do
  case "$old" in
    "$VENV" | "$CACHE/pip/pyspark-$SPARK_VERSION.tar.gz" | "$CACHE"/venv-connect-*) ;;
    *) remove_stale "$old" ;;
  esac
done

# --- the Spark Connect thin client: pyspark-client at the Spark pin, with the client's pins ----
# A venv of its own (pyspark-client and pyspark are one import package): what a laptop installs,
# no JVM. Skipped when the render has no Spark Connect server.
CONNECT_PYTHON=""
if [[ -f "$RENDER/spark/connect.conf" ]]; then
  CREQS="$WORK/connect-requirements.txt"
  { echo "pyspark-client==$SPARK_VERSION"; tr ' ' '\n' <<<"$CONNECT_PINS"; } >"$CREQS"
  CKEY="$({ "$PYTHON" -VV; cat "$CREQS"; } | sha256sum | cut -c1-12)"
  CONNECT_VENV="$CACHE/venv-connect-$CKEY"
  if [[ ! -f "$CONNECT_VENV/.complete" ]]; then
    log "creating $CONNECT_VENV (pyspark-client==$SPARK_VERSION and the client's pins)"
    rm -rf "$CONNECT_VENV"
    "$PYTHON" -m venv "$CONNECT_VENV"
    "$CONNECT_VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$CREQS"
    touch "$CONNECT_VENV/.complete"
  fi
  touch "$CONNECT_VENV/.used"
  for old in "$CACHE"/venv-connect-*; do
    [[ "$old" == "$CONNECT_VENV" ]] || remove_stale "$old"
  done
  CONNECT_PYTHON="$CONNECT_VENV/bin/python"
fi

# --- S3A jars (sha256-checked) -------------------------------------------------------------
JARS="$WORK/s3a-jars"
"$VENV/bin/python" "$SETUP_DIR/jars.py" "$VERSIONS" "$CACHE/m2" "$JARS" >&2
