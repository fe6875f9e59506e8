#!/usr/bin/env bash
# The whole platform on a local, real Kubernetes cluster: builds (cached), the cluster of
# tools/cluster/cluster.sh, a moto S3 server on the test bridge, the spark-operator chart through
# helm with the program's values, and every rendered Kubernetes object applied unchanged.
#
#   bash tools/cluster/local.sh up [STATE_DIR]        (npm run cluster:up)
#   bash tools/cluster/local.sh cluster [STATE_DIR]   the same without the platform
#   bash tools/cluster/local.sh down [STATE_DIR]      (npm run cluster:down)
#
# STATE_DIR defaults to /var/tmp/sparkplat-cluster. `up` prints the kubeconfig path and the History
# Server and JupyterLab addresses, and writes STATE_DIR/timings (step seconds) and
# STATE_DIR/platform.env (addresses, moto keys) for the test tier. `cluster` stops before the
# platform, and leaves the nodes as a cluster of a user's would be (no S3A jars, no notebooks'
# folder): the local stack deploys onto it with the real engine (tools/local/stack.sh). Needs root.
# Env: SPARKPLAT_CACHE (default ~/.cache/sparkplat), READY_TIMEOUT_SECONDS (default 300).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${SPARKPLAT_CACHE:-$HOME/.cache/sparkplat}"
export SPARKPLAT_CACHE="$CACHE"
cmd="${1:?usage: local.sh up|cluster|down [STATE_DIR]}"
# Not under /etc, /var/lib, /var/log, /opt, /root or /home: the nodes lay overlays on those.
state="$(realpath -m "${2:-/var/tmp/sparkplat-cluster}")"
export READY_TIMEOUT_SECONDS="${READY_TIMEOUT_SECONDS:-300}"
T0=$SECONDS
STEP_T=$SECONDS

log() { printf '[local %4ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# timed NAME: records the seconds since the previous mark under NAME.
timed() {
  printf '%s %d\n' "$1" "$((SECONDS - STEP_T))" >>"$state/timings"
  STEP_T=$SECONDS
}

[[ "$(id -u)" == 0 ]] || die "needs root (namespaces, mounts, a bridge)"

stop_pidfile() {
  local f="$1" pid
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

down() {
  [[ -d "$state" ]] || { log "nothing at $state"; return 0; }
  stop_pidfile "$state/moto.pid"
  stop_pidfile "$state/wheels.pid"
  stop_pidfile "$state/maven.pid"
  if [[ -f "$state/cluster.env" ]]; then bash "$HERE/cluster.sh" down "$state"; fi
  rm -rf "$state"
  log "removed $state"
}

# module_dir MODULE VERSION: the module's folder in the Go module cache, downloaded if missing.
module_dir() { bash "$ROOT/tools/module-dir.sh" "$1@$2"; }

versions() { bash "$ROOT/tools/versions.sh" "$1"; }

builds() {
  local release
  release="$(versions testedKubernetesRelease)"
  K8S_BIN="$(bash "$ROOT/tools/k8s/build.sh" "$release" kubelet kubeadm kubectl kube-proxy kube-apiserver kube-controller-manager kube-scheduler)"
  local extras
  mapfile -t extras < <(KUBEADM="$K8S_BIN/kubeadm" bash "$ROOT/tools/k8s/build-extras.sh" helm)
  HELM="${extras[0]}/helm"
  FLANNEL_CHART="$(module_dir github.com/flannel-io/flannel "$(versions flannel.version)")/chart/kube-flannel"
  OPERATOR_CHART="$(module_dir github.com/kubeflow/spark-operator/v2 "v$(versions sparkOperator.version)")/charts/spark-operator-chart"
  timed build_kubernetes
  mkdir -p "$state/images"
  bash "$ROOT/tools/images/system.sh" "$K8S_BIN" "$state/images" >/dev/null
  awk '{print $2}' "$state/images/images.txt" >"$state/images.list"
  WHEELS="$(bash "$ROOT/tools/images/pip-wheels.sh")"
  bash "$ROOT/tools/images/spark.sh" --pip-find-links "http://$HOST_ADDRESS:$WHEELS_PORT/" >>"$state/images.list"
  timed build_images
}

# --- the test's S3 server and wheel folder, on the test bridge --------------------------------------
start_servers() {
  # shellcheck source=/dev/null
  source "$state/cluster.env"
  setsid "$VENV/bin/python" -m http.server --bind "$HOST_ADDRESS" --directory "$WHEELS" "$WHEELS_PORT" >"$state/wheels.log" 2>&1 &
  echo $! >"$state/wheels.pid"
  # The S3A jars in a Maven repository's layout, as node-setup asks a mirror for them.
  rm -rf "$state/maven"
  (cd "$ROOT" && npx ts-node --transpile-only -e '
    const { s3aJars, jarUrl } = require("./versions");
    for (const j of s3aJars) console.log(jarUrl(j, ""));') | while read -r rel; do
    mkdir -p "$state/maven${rel%/*}"
    ln -s "$JARS/${rel##*/}" "$state/maven$rel"
  done
  setsid "$VENV/bin/python" -m http.server --bind "$HOST_ADDRESS" --directory "$state/maven" "$MAVEN_PORT" >"$state/maven.log" 2>&1 &
  echo $! >"$state/maven.pid"
  "$VENV/bin/python" "$HERE/s3.py" start "$state" "$HOST_ADDRESS" "$S3_PORT" "$BUCKET" "$EVENT_LOG_PREFIX" >"$state/s3.env"
  # shellcheck source=/dev/null
  source "$state/s3.env"
  log "moto S3 at http://$HOST_ADDRESS:$S3_PORT (bucket $BUCKET), wheels at http://$HOST_ADDRESS:$WHEELS_PORT/, Maven mirror at http://$HOST_ADDRESS:$MAVEN_PORT/"
}

# What prepare-node.sh leaves on a node that the platform's pods use: the S3A jars (hostPath)
# and, on the first worker, the notebook folder owned by the Spark user.
bake_nodes() {
  local node
  for node in $NODE_NAMES; do
    bash "$HERE/cluster.sh" exec "$state" "$node" bash -c 'install -d -m 0755 "$1" && cp -L "$2"/*.jar "$1"/' _ "$S3A_JARS_DIR" "$JARS"
  done
  bash "$HERE/cluster.sh" exec "$state" "$NOTEBOOK_NODE" install -d -m 0750 -o "$SPARK_UID" -g "$SPARK_UID" "$JUPYTER_DATA_DIR"
}

admin() { KUBECONFIG="$state/admin.conf" "$K8S_BIN/kubectl" --request-timeout=20s "$@"; }

platform() {
  local render="$state/render"
  admin apply -f "$render/k8s/namespace-spark-jobs.yaml" -f "$render/k8s/namespace-spark-operator.yaml" -f "$render/k8s/namespace-spark-history.yaml" >/dev/null
  KUBECONFIG="$state/admin.conf" "$HELM" install spark-operator "$OPERATOR_CHART" --namespace spark-operator \
    --values "$render/helm/spark-operator.values.yaml" --wait --timeout "${READY_TIMEOUT_SECONDS}s" >/dev/null ||
    die "the spark-operator release did not become ready: $(admin -n spark-operator get pods -o wide 2>&1; admin -n spark-operator get events --sort-by=.lastTimestamp 2>&1 | tail -n 20)"
  timed operator_ready
  # The rendered objects with the test's keys in place of the Secret placeholders; the smoke
  # SparkApplication after the History Server and the operator, and the self-check Job after it
  # (run for that application's uid), as the program orders them.
  local objects="$state/objects" f
  rm -rf "$objects" && mkdir -p "$objects"
  for f in "$render"/k8s/*.yaml; do
    sed -e "s|<object-store-access-key>|$NODE_ACCESS_KEY|" -e "s|<object-store-secret-key>|$NODE_SECRET_KEY|" "$f" >"$objects/$(basename "$f")"
  done
  local args=()
  for f in "$objects"/*.yaml; do [[ "$f" == */sparkapplication-* || "$f" == */job-* ]] || args+=(-f "$f"); done
  admin apply "${args[@]}" >/dev/null
  admin -n spark-history rollout status deployment/spark-history-server --timeout="${READY_TIMEOUT_SECONDS}s" >/dev/null ||
    die "the History Server did not become ready: $(admin -n spark-history describe pods 2>&1 | tail -n 30; admin -n spark-history logs deploy/spark-history-server --tail=30 2>&1)"
  timed history_server_ready
  admin apply -f "$objects"/sparkapplication-*.yaml >/dev/null
  local uid
  uid="$(admin -n spark-jobs get sparkapplication spark-smoke-test -o jsonpath='{.metadata.uid}')"
  sed -i "s|<smoke-application-uid>|$uid|" "$objects"/job-*.yaml
  admin apply -f "$objects"/job-*.yaml >/dev/null
}

# cluster: the builds, a cluster Ready, the test's servers; platform.env (without the platform's addresses).
cluster() {
  if [[ -f "$state/cluster.env" ]]; then die "a local cluster is already at $state: run 'npm run cluster:down' (or 'npm run local:down') first"; fi
  mkdir -p "$state"
  : >"$state/timings"
  # Java, the render's pins, the venv (moto, boto3) and the sha256-checked S3A jars.
  # shellcheck disable=SC2034  # read by setup.sh
  WORK="$state" PYTHON="${PYTHON:-python3}"
  # shellcheck source-path=SCRIPTDIR/../.. source=test/integration/setup.sh
  source "$ROOT/test/integration/setup.sh"
  (cd "$ROOT" && npx ts-node --transpile-only tools/cluster/prepare.ts "$state")
  # shellcheck source=/dev/null
  source "$state/cluster.env"
  builds
  export SPARKPLAT_K8S_BIN="$K8S_BIN" SPARKPLAT_HELM="$HELM" FLANNEL_CHART SPARKPLAT_IMAGES="$state/images.list"
  sed -i "s|^PATH_DIRS=.*|PATH_DIRS='$K8S_BIN'|" "$state"/nodes/*/env
  bash "$HERE/cluster.sh" up "$state"
  timed cluster_up
  start_servers
  {
    printf 'KUBECONFIG=%s\n' "$state/admin.conf"
    printf 'K8S_BIN=%s\n' "$K8S_BIN"
    printf 'HELM=%s\n' "$HELM"
    printf 'VENV_PY=%s\n' "$VENV/bin/python"
    printf 'CONNECT_PY=%s\n' "$CONNECT_PYTHON"
    printf 'OPERATOR_CHART=%s\n' "$OPERATOR_CHART"
    printf 'MAVEN_URL=http://%s:%s\n' "$HOST_ADDRESS" "$MAVEN_PORT"
    cat "$state/s3.env"
  } >"$state/platform.env"
}

up() {
  cluster
  bake_nodes
  platform
  {
    printf 'HISTORY_URL=http://%s:%s\n' "${NODE_ADDRESSES%% *}" "$HISTORY_NODE_PORT"
    printf 'JUPYTER_URL=http://%s:%s\n' "${NODE_ADDRESSES%% *}" "$JUPYTER_NODE_PORT"
  } >>"$state/platform.env"
  log "platform up in $((SECONDS - T0))s"
  printf 'kubeconfig:     %s\nHistory Server: http://%s:%s\nJupyterLab:     http://%s:%s/lab?token=%s\n' \
    "$state/admin.conf" "${NODE_ADDRESSES%% *}" "$HISTORY_NODE_PORT" "${NODE_ADDRESSES%% *}" "$JUPYTER_NODE_PORT" "$(cat "$state/jupyter-token")"
}

case "$cmd" in
  up) up ;;
  cluster) cluster ;;
  down) down ;;
  *) die "unknown command '$cmd' (up, cluster, down)" ;;
esac
