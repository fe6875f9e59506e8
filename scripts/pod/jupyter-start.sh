#!/usr/bin/env bash
# Entry point of the JupyterLab container (the official Spark image, run as the spark user).
# JupyterLab is installed with the image's own Python, so notebook kernels and executors run
# the same Python and Spark; the install lands in the notebook volume and is reused on restart.
set -euo pipefail

: "${JUPYTERLAB_VERSION:?JUPYTERLAB_VERSION is not set}"
: "${JUPYTER_TOKEN:?JUPYTER_TOKEN is not set: the server must not start without a token}"
: "${WORKSPACE:?WORKSPACE is not set}"
: "${SEED_DIR:?SEED_DIR is not set}"
: "${POD_NAME:?POD_NAME is not set}"
SPARK_HOME="${SPARK_HOME:-/opt/spark}"

export HOME="$WORKSPACE"
export PATH="$HOME/.local/bin:$PATH"

install_jupyterlab() {
    if python3 -m pip show jupyterlab 2>/dev/null | grep -qx "Version: $JUPYTERLAB_VERSION"; then
        return
    fi
    echo "installing jupyterlab==$JUPYTERLAB_VERSION for $(python3 --version)" >&2
    python3 -m pip install --user --no-cache-dir --disable-pip-version-check --no-warn-script-location \
        "jupyterlab==$JUPYTERLAB_VERSION"
}

# With a Spark Connect server (CONNECT_CLIENT_PACKAGES set): its Python client's packages, at
# their pins, beside JupyterLab. Installed only when one is missing or at another version.
install_connect_client() {
    [ -n "${CONNECT_CLIENT_PACKAGES:-}" ] || return 0
    local missing
    # shellcheck disable=SC2086  # one pin per word
    missing=$(python3 - $CONNECT_CLIENT_PACKAGES <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version

for pin in sys.argv[1:]:
    name, _, want = pin.partition("==")
    try:
        have = version(name)
    except PackageNotFoundError:
        have = None
    if have != want:
        print(pin)
PY
    )
    [ -n "$missing" ] || return 0
    echo "installing the Spark Connect client's packages: $(echo "$missing" | tr '\n' ' ')" >&2
    # shellcheck disable=SC2086  # one pin per word
    python3 -m pip install --user --no-cache-dir --disable-pip-version-check --no-warn-script-location $CONNECT_CLIENT_PACKAGES
}

# Shipped notebooks are copied once: the user's edits are never overwritten.
seed_notebooks() {
    mkdir -p "$HOME/notebooks"
    local nb
    for nb in "$SEED_DIR"/*.ipynb; do
        [ -e "$nb" ] || continue
        [ -e "$HOME/notebooks/$(basename "$nb")" ] || cp "$nb" "$HOME/notebooks/"
    done
}

use_spark_python() {
    local py4j
    py4j=$(find "$SPARK_HOME/python/lib" -name 'py4j-*-src.zip' | head -n 1)
    export PYTHONPATH="$SPARK_HOME/python:$py4j"
    # Executors are owned by this pod: deleting the pod removes them.
    export PYSPARK_SUBMIT_ARGS="--conf spark.kubernetes.driver.pod.name=$POD_NAME pyspark-shell"
}

# Each kernel is a driver of its own: its startup file gives its executors a name prefix of their own.
install_kernel_startup() {
    local dir="$HOME/.ipython/profile_default/startup"
    mkdir -p "$dir"
    cp "$SEED_DIR/spark-session.py" "$dir/00-spark-session.py"
}

install_jupyterlab
install_connect_client
seed_notebooks
use_spark_python
install_kernel_startup
# The token comes from JUPYTER_TOKEN (a Kubernetes Secret); it is never on the command line.
exec python3 -m jupyterlab --no-browser --ip=0.0.0.0 --port=8888 \
    --ServerApp.root_dir="$HOME/notebooks" --ServerApp.allow_remote_access=True
